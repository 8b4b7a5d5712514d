"""The interrogation's answers as a pydantic model: each answer's type, and the checks across them.

Every refusal is worded by wording.py, never by pydantic; checks.py turns the errors into the
Requirements Interrogation Form.

Fields are declared in the order of ``fields.FIELDS``, which is also the order of their
dependencies. A field validator sees an earlier answer in ``info.data`` only when that answer is
valid, so a check across answers (the metric against the task, p99 against p50, protected
columns against the schema) runs exactly when its premises hold, while the problems of every
answer are still reported together.
"""

from __future__ import annotations

import keyword
import re
import sys
from typing import Annotated, Any

from annotated_types import Ge, Gt, Le, MaxLen
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
)

from architect_k.interrogation.dataset import DatasetSchema
from architect_k.interrogation.defaults import package_name_for
from architect_k.interrogation.fields import (
    AUTH_MODES,
    CHOICES,
    CLOUDS,
    COMPUTE_CHOICES,
    DISTRIBUTED,
    DOMAINS,
    DOMAINS_NEEDING_FAIRNESS,
    KUBERNETES_VERSIONS,
    LOWER_IS_BETTER,
    MAX_COVERAGE,
    MAX_DESCRIPTION,
    MAX_INT_CLASSES,
    MAX_NAMESPACE,
    MAX_PACKAGE_NAME,
    MAX_PROJECT_NAME,
    METRICS_BY_TASK,
    MIN_COVERAGE,
    MODEL_DTYPES,
    TASK_TYPES,
    AuthMode,
    Cloud,
    Compute,
    Distributed,
    Domain,
    KubernetesVersion,
    Metric,
    TaskType,
)
from architect_k.interrogation.wording import one_of, refuse, says

_PACKAGE_NAME = rf"^[a-z][a-z0-9_]{{0,{MAX_PACKAGE_NAME - 1}}}$"
_RFC1123_LABEL = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"
_REGISTRY = (
    r"^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
#: Package names that would shadow what the generated service imports.
_RESERVED_PACKAGES = frozenset(
    {
        "torch",
        "mlflow",
        "pandas",
        "numpy",
        "pandera",
        "fastapi",
        "pydantic",
        "uvicorn",
        "yaml",
        "jwt",
        "sklearn",
        "prometheus_client",
        "tests",
        "src",
        "app",
    }
)
#: Metrics bounded to [0, 1] where a gate at or below chance passes a useless model.
_UNIT_METRICS = frozenset({"roc_auc", "pr_auc", "f1", "f1_macro", "accuracy"})


def _as_text(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    # YAML reads `kubernetes_version: 1.31` as a number; the answer means its text.
    return handler(str(value) if isinstance(value, int | float) else value)


PositiveWhole = Annotated[
    int, Gt(0), says(lambda value: f"{value!r} is not a positive whole number", numeric=True)
]


class Answers(BaseModel):
    """Every answer of the interrogation; an answer left out is None (or missing if required)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    project_name: Annotated[
        str,
        MaxLen(MAX_PROJECT_NAME),
        says(lambda _: f"must be one line of at most {MAX_PROJECT_NAME} characters"),
    ]
    project_description: (
        Annotated[
            str,
            MaxLen(MAX_DESCRIPTION),
            says(lambda _: f"must be text of at most {MAX_DESCRIPTION} characters"),
        ]
        | None
    ) = None
    package_name: (
        Annotated[
            str,
            Field(pattern=_PACKAGE_NAME),
            says(
                lambda _: (
                    "must be lowercase letters, digits and underscores, starting with a "
                    f"letter (at most {MAX_PACKAGE_NAME} characters)"
                )
            ),
        ]
        | None
    ) = None
    dataset_schema: DatasetSchema
    task_type: Annotated[TaskType, one_of(TASK_TYPES)] | None = None
    target_metric: Annotated[Metric, one_of(tuple(sorted(CHOICES["target_metric"])))]
    metric_threshold: Annotated[
        float,
        Field(allow_inf_nan=False),
        says(lambda value: f"{value!r} is not a finite number", numeric=True),
    ]
    deployment_cloud: Annotated[Cloud, one_of(CLOUDS)]
    deployment_compute: Annotated[Compute, one_of(COMPUTE_CHOICES)]
    kubernetes_version: (
        Annotated[KubernetesVersion, WrapValidator(_as_text), one_of(KUBERNETES_VERSIONS)] | None
    ) = None
    k8s_namespace: (
        Annotated[
            str,
            Field(pattern=_RFC1123_LABEL),
            MaxLen(MAX_NAMESPACE),
            says(
                lambda _: (
                    "must be an RFC 1123 label: lowercase letters, digits and '-', "
                    f"starting and ending alphanumeric, at most {MAX_NAMESPACE} characters "
                    "(staging runs in <namespace>-staging)"
                )
            ),
        ]
        | None
    ) = None
    image_registry: Annotated[
        str,
        says(lambda _: "give host[:port]/path without a scheme, e.g. registry.example.com/ml"),
    ]
    latency_p50_ms: PositiveWhole
    latency_p99_ms: PositiveWhole
    throughput_rps: PositiveWhole
    auth_mode: (
        Annotated[AuthMode, one_of(AUTH_MODES, " (there is no unauthenticated mode)")] | None
    ) = None
    coverage_threshold: (
        Annotated[
            int,
            Ge(MIN_COVERAGE),
            Le(100),
            says(
                lambda value: (
                    f"R1 refuses {value!r}: the gate is a whole percentage from "
                    f"{MIN_COVERAGE} to {MAX_COVERAGE}"
                ),
                numeric=True,
            ),
        ]
        | None
    ) = None
    domain: Annotated[Domain, one_of(DOMAINS)] | None = None
    # Checked even when left out: a finance or medical service must name them.
    protected_attributes: (
        Annotated[list[str], says(lambda _: "must be a list of column names")] | None
    ) = Field(default=None, validate_default=True)
    distributed: Annotated[Distributed, one_of(DISTRIBUTED)] | None = None

    @field_validator("project_name")
    @classmethod
    def _names_a_package(cls, name: str) -> str:
        if "\n" in name:
            raise refuse(f"must be one line of at most {MAX_PROJECT_NAME} characters")
        if not package_name_for(name):
            raise refuse("needs at least one letter or digit to name the package")
        return name

    @field_validator("package_name")
    @classmethod
    def _shadows_nothing(cls, package: str | None) -> str | None:
        if package is not None and (
            keyword.iskeyword(package)
            or package in sys.stdlib_module_names
            or package in _RESERVED_PACKAGES
        ):
            raise refuse(f"{package!r} would shadow a module the service imports")
        return package

    @field_validator("task_type")
    @classmethod
    def _task_fits_the_target(cls, task: str | None, info: ValidationInfo) -> str | None:
        schema: DatasetSchema | None = info.data.get("dataset_schema")
        if task is None or schema is None:
            return task
        name = schema.target
        target = schema.columns[name]
        if task == "regression" and schema.implied_task() != "regression":
            raise refuse(f"regression needs an int or float target, and {name!r} is {target.dtype}")
        if task != "regression" and target.dtype == "float":
            raise refuse(
                f"classification needs a bool, category or int target, and {name!r} is float"
            )
        if (
            task == "binary_classification"
            and target.dtype == "category"
            and len(target.categories or ()) != 2
        ):
            raise refuse(
                f"binary classification needs exactly two categories in {name!r}; "
                "use multiclass_classification"
            )
        if task != "regression" and target.dtype == "int":
            binary = task == "binary_classification"
            low, high = target.min, target.max
            if (
                low is None
                or high is None
                or not (high - low == 1 if binary else 1 <= high - low < MAX_INT_CLASSES)
            ):
                classes = 2 if binary else f"2 to {MAX_INT_CLASSES}"
                raise refuse(
                    f"an int target of a classifier names its classes by min and max ({classes} "
                    f"classes): give {name!r} both bounds"
                )
        if task == "multiclass_classification" and target.dtype == "bool":
            raise refuse("a bool target has two classes: use binary_classification")
        return task

    @field_validator("target_metric")
    @classmethod
    def _metric_measures_the_task(cls, metric: str, info: ValidationInfo) -> str:
        if "task_type" in info.data:
            task = info.data["task_type"]
        else:  # refused: a known task that misfits the target still decides the metrics
            task = (info.context or {}).get("answers", {}).get("task_type")
        schema: DatasetSchema | None = info.data.get("dataset_schema")
        if task is None and schema is not None:
            task = schema.implied_task()
        metrics = METRICS_BY_TASK.get(task) if isinstance(task, str) else None
        if metrics is not None and metric not in metrics:
            raise refuse(f"{metric} does not measure {task}; use one of {', '.join(metrics)}")
        return metric

    @field_validator("metric_threshold")
    @classmethod
    def _threshold_can_be_met(cls, threshold: float, info: ValidationInfo) -> float:
        metric = info.data.get("target_metric")
        if metric in _UNIT_METRICS and not 0 < threshold <= 1:
            raise refuse(f"{metric} lies in (0, 1]; {threshold} can never be met or always is")
        if metric == "roc_auc" and threshold <= 0.5:
            raise refuse("roc_auc at or below 0.5 passes a model that guesses")
        if metric == "r2" and threshold > 1:
            raise refuse("r2 is at most 1")
        if metric in LOWER_IS_BETTER and threshold <= 0:
            raise refuse(f"{metric} is an error to stay under; it must be above 0")
        return threshold

    @field_validator("image_registry")
    @classmethod
    def _registry_without_tag(cls, registry: str) -> str:
        if "://" in registry:
            raise refuse("give host[:port]/path without a scheme, e.g. registry.example.com/ml")
        if "@" in registry or not re.match(_REGISTRY, registry):
            raise refuse(
                "must be a lowercase host[:port]/path with no tag or digest "
                "(the pipeline pins the digest itself)"
            )
        return registry

    @field_validator("latency_p99_ms")
    @classmethod
    def _tail_after_median(cls, p99: int, info: ValidationInfo) -> int:
        p50 = info.data.get("latency_p50_ms")
        if p50 is not None and p99 < p50:
            raise refuse(
                f"p99 {p99} ms is below p50 {p50} ms; a tail cannot be faster than the median"
            )
        return p99

    @field_validator("coverage_threshold")
    @classmethod
    def _coverage_reachable(cls, coverage: int | None) -> int | None:
        if coverage is not None and coverage > MAX_COVERAGE:
            raise refuse(
                f"{coverage} % is more than the generated suite is proven to reach on its first "
                f"run, so CI would fail before you change a line; answer at most {MAX_COVERAGE} "
                "and raise the gate in the Makefile and .github/workflows/ml-pipeline.yml once "
                "your own tests cover more"
            )
        return coverage

    @field_validator("protected_attributes")
    @classmethod
    def _protected_columns(
        cls, protected: list[str] | None, info: ValidationInfo
    ) -> list[str] | None:
        domain = info.data.get("domain")
        if domain in DOMAINS_NEEDING_FAIRNESS and not protected:
            raise refuse(
                f"a {domain} service needs a fairness audit: name the protected columns "
                "(ethics boundary)"
            )
        schema: DatasetSchema | None = info.data.get("dataset_schema")
        if not protected or schema is None:
            return protected
        problems = []
        for name in protected:
            column = schema.columns.get(name)
            if column is None:
                problems.append(f"{name!r} is not a column of the schema")
            elif name == schema.target:
                problems.append(f"{name!r} is the target")
            elif column.dtype not in {"category", "bool"}:
                problems.append(
                    f"{name!r} must be a category or bool column so groups can be compared"
                )
        if len(set(protected)) != len(protected):
            problems.append("names repeat")
        if not any(
            name != schema.target and name not in protected and column.dtype in MODEL_DTYPES
            for name, column in schema.columns.items()
        ):
            problems.append(
                "every usable feature is protected: the prediction log and the drift monitor "
                "never record protected values (and finance and medical models do not train on "
                "them), so add a feature that is not protected"
            )
        if problems:
            raise refuse(*problems)
        return protected

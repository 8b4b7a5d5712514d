"""Deep validation of interrogation answers.

Every check returns `Problem`s attributed to one answer, so the same code serves the one-shot
Requirements Interrogation Form (all problems at once) and copier's per-question validators
(the problems of the question being asked, given the answers before it).
"""

from __future__ import annotations

import keyword
import math
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any, TypeGuard

from architect_k.credentials import credential_kind
from architect_k.interrogation.fields import (
    CHOICES,
    DOMAINS_NEEDING_FAIRNESS,
    DTYPES,
    FIELDS_BY_NAME,
    LOWER_IS_BETTER,
    MAX_COLUMN_NAME,
    MAX_COVERAGE,
    MAX_DESCRIPTION,
    MAX_INT_CLASSES,
    MAX_NAMESPACE,
    MAX_PACKAGE_NAME,
    MAX_PROJECT_NAME,
    METRICS_BY_TASK,
    MIN_COVERAGE,
    MODEL_DTYPES,
    PASSTHROUGH_DTYPES,
    REQUIRED,
    TASK_TYPES,
)

_COLUMN_NAME = re.compile(rf"^[A-Za-z_][A-Za-z0-9_]{{0,{MAX_COLUMN_NAME - 1}}}$")
_PACKAGE_NAME = re.compile(rf"^[a-z][a-z0-9_]{{0,{MAX_PACKAGE_NAME - 1}}}$")
_RFC1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_REGISTRY = re.compile(
    r"^[a-z0-9]+(?:[.-][a-z0-9]+)*(?::[0-9]{1,5})?(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$"
)
#: "int, float, bool or category", for messages about what the model can train on.
_MODEL_DTYPES_TEXT = f"{', '.join(MODEL_DTYPES[:-1])} or {MODEL_DTYPES[-1]}"
_COLUMN_KEYS = frozenset({"dtype", "nullable", "min", "max", "categories", "description"})
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


@dataclass(frozen=True)
class Problem:
    """One answer that is missing or wrong, and what is wrong with it."""

    field: str
    message: str
    missing: bool = False


def _is_number(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool)


def coerce_number(value: Any, *, integer: bool) -> int | float | None:
    """Read a number from an answer; CLI `--data` values arrive as strings."""
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            return None
    if not _is_number(value) or (isinstance(value, float) and not math.isfinite(value)):
        return None
    if integer:
        if isinstance(value, float) and not value.is_integer():
            return None
        return int(value)
    return float(value)


def package_name_for(project_name: str) -> str:
    """Derive a Python package name from the project name ("Churn Service" → churn_service)."""
    name = re.sub(r"[^a-z0-9]+", "_", project_name.lower()).strip("_")
    if name and name[0].isdigit():
        name = f"svc_{name}"
    return name[:MAX_PACKAGE_NAME].rstrip("_")


def slug_for(project_name: str, limit: int = MAX_NAMESPACE) -> str:
    """Derive an RFC 1123 label of at most `limit` characters from the project name
    ("Churn Service" → churn-service); the default fits the namespace question."""
    return re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-")[:limit].strip("-")


def default_task_type(schema: Any) -> str | None:
    """The task the target's dtype implies, or None when the schema does not say."""
    if not isinstance(schema, Mapping):
        return None
    columns = schema.get("columns")
    target = schema.get("target")
    if not isinstance(columns, Mapping) or not isinstance(columns.get(target), Mapping):
        return None
    spec = columns[target]
    dtype = spec.get("dtype")
    if dtype == "bool":
        return "binary_classification"
    if dtype == "category":
        categories = spec.get("categories")
        if isinstance(categories, list) and len(categories) == 2:
            return "binary_classification"
        return "multiclass_classification"
    if dtype in {"int", "float"}:
        return "regression"
    return None


def _check_column(name: str, spec: Any) -> list[str]:
    where = f"column {name!r}"
    if not isinstance(name, str) or not _COLUMN_NAME.match(name) or keyword.iskeyword(name):
        return [
            f"{where}: names must be identifiers (letters, digits, underscores; not starting "
            f"with a digit, at most {MAX_COLUMN_NAME} characters, not a Python keyword)"
        ]
    if not isinstance(spec, Mapping):
        return [f"{where}: give a mapping such as {{dtype: float}}, not {spec!r}"]
    errors: list[str] = []
    unknown = sorted(set(spec) - _COLUMN_KEYS)
    if unknown:
        errors.append(f"{where}: unknown keys {unknown}; allowed: {sorted(_COLUMN_KEYS)}")
    dtype = spec.get("dtype")
    if dtype not in DTYPES:
        errors.append(f"{where}: dtype {dtype!r} is not one of {', '.join(DTYPES)}")
        return errors
    if "nullable" in spec and not isinstance(spec["nullable"], bool):
        errors.append(f"{where}: nullable must be true or false")
    for bound in ("min", "max"):
        if bound in spec:
            if dtype not in {"int", "float"}:
                errors.append(f"{where}: {bound} applies to int and float columns only")
            elif not _is_number(spec[bound]) or not math.isfinite(spec[bound]):
                errors.append(f"{where}: {bound} must be a finite number")
    low, high = spec.get("min"), spec.get("max")
    if _is_number(low) and _is_number(high) and low > high:
        errors.append(f"{where}: min {low} is above max {high}")
    categories = spec.get("categories")
    if dtype == "category":
        if not isinstance(categories, list) or not categories:
            errors.append(f"{where}: a category column needs a non-empty list of categories")
        elif not all(isinstance(c, str) and c.strip() for c in categories):
            errors.append(f"{where}: categories must be non-empty strings")
        elif len(set(categories)) != len(categories):
            errors.append(f"{where}: categories repeat")
    elif categories is not None:
        errors.append(f"{where}: categories apply to category columns only")
    description = spec.get("description")
    if description is not None and not isinstance(description, str):
        errors.append(f"{where}: description must be text")
    return errors


def check_schema(schema: Any) -> list[str]:
    """Validate `dataset_schema`; returns one message per problem found."""
    if not isinstance(schema, Mapping):
        return ["give a mapping with `target` and `columns`"]
    errors: list[str] = []
    unknown = sorted(set(schema) - {"target", "columns"})
    if unknown:
        errors.append(f"unknown keys {unknown}; the schema holds `target` and `columns`")
    columns = schema.get("columns")
    target = schema.get("target")
    if not isinstance(columns, Mapping) or not columns:
        errors.append("`columns` must map each column name to its spec, e.g. {age: {dtype: int}}")
        columns = {}
    for name, spec in columns.items():
        errors.extend(_check_column(name, spec))
    if not isinstance(target, str) or not target:
        errors.append("`target` must name the column the model predicts")
    elif columns and target not in columns:
        errors.append(f"target {target!r} is not one of the columns ({', '.join(columns)})")
    elif isinstance(columns.get(target), Mapping):
        spec = columns[target]
        if spec.get("nullable"):
            errors.append(f"target {target!r} cannot be nullable: unlabelled rows cannot train")
        if spec.get("dtype") in PASSTHROUGH_DTYPES:
            errors.append(f"target {target!r} must be {_MODEL_DTYPES_TEXT}")
    features = [
        n
        for n, s in columns.items()
        if n != target and isinstance(s, Mapping) and s.get("dtype") in MODEL_DTYPES
    ]
    if columns and not features:
        errors.append(
            f"no usable feature: at least one {_MODEL_DTYPES_TEXT} column besides the target"
        )
    return errors


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _check_credentials(answers: Mapping[str, Any]) -> list[Problem]:
    problems = []
    for name, value in answers.items():
        for text in _strings(value):
            kind = credential_kind(text)
            if kind:
                problems.append(
                    Problem(
                        name,
                        f"looks like a {kind}. R2 refuses credentials in any artifact: keep it in "
                        "a Kubernetes Secret or your cloud's secret manager and answer without it",
                    )
                )
                break
    return problems


def check_answers(answers: Mapping[str, Any], *, require_all: bool) -> list[Problem]:
    """Check every answer given; with `require_all`, also report each required one missing."""
    problems: list[Problem] = []

    def bad(field: str, message: str) -> None:
        problems.append(Problem(field, message))

    def given(name: str) -> bool:
        value = answers.get(name)
        return value is not None and value != ""

    for name in answers:
        if name not in FIELDS_BY_NAME:
            close = get_close_matches(name, FIELDS_BY_NAME, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            bad(name, f"is not a question of this template{hint}")
    if require_all:
        problems.extend(
            Problem(name, "is required and has no default", missing=True)
            for name in REQUIRED
            if not given(name)
        )
    problems.extend(_check_credentials(answers))

    if given("project_name"):
        project_name = answers["project_name"]
        if (
            not isinstance(project_name, str)
            or "\n" in project_name
            or len(project_name) > MAX_PROJECT_NAME
        ):
            bad("project_name", f"must be one line of at most {MAX_PROJECT_NAME} characters")
        elif not package_name_for(project_name):
            bad("project_name", "needs at least one letter or digit to name the package")
    if given("project_description") and (
        not isinstance(answers["project_description"], str)
        or len(answers["project_description"]) > MAX_DESCRIPTION
    ):
        bad("project_description", f"must be text of at most {MAX_DESCRIPTION} characters")
    if given("package_name"):
        package = answers["package_name"]
        if not isinstance(package, str) or not _PACKAGE_NAME.match(package):
            bad(
                "package_name",
                "must be lowercase letters, digits and underscores, starting "
                f"with a letter (at most {MAX_PACKAGE_NAME} characters)",
            )
        elif (
            keyword.iskeyword(package)
            or package in sys.stdlib_module_names
            or package in _RESERVED_PACKAGES
        ):
            bad("package_name", f"{package!r} would shadow a module the service imports")

    schema = answers.get("dataset_schema")
    schema_ok = False
    if given("dataset_schema"):
        schema_errors = check_schema(schema)
        problems.extend(Problem("dataset_schema", message) for message in schema_errors)
        schema_ok = not schema_errors

    task = answers.get("task_type")
    if given("task_type"):
        if task not in TASK_TYPES:
            bad("task_type", f"{task!r} is not one of {', '.join(TASK_TYPES)}")
            task = None
        elif schema_ok:
            assert isinstance(schema, Mapping)
            target_spec = schema["columns"][schema["target"]]
            implied = default_task_type(schema)
            if task == "regression" and implied != "regression":
                bad(
                    "task_type",
                    f"regression needs an int or float target, and "
                    f"{schema['target']!r} is {target_spec['dtype']}",
                )
            elif task != "regression" and target_spec["dtype"] == "float":
                bad(
                    "task_type",
                    f"classification needs a bool, category or int target, and "
                    f"{schema['target']!r} is float",
                )
            elif (
                task == "binary_classification"
                and target_spec["dtype"] == "category"
                and (len(target_spec["categories"]) != 2)
            ):
                bad(
                    "task_type",
                    f"binary classification needs exactly two categories in "
                    f"{schema['target']!r}; use multiclass_classification",
                )
            elif task != "regression" and target_spec["dtype"] == "int":
                low, high = target_spec.get("min"), target_spec.get("max")
                classes = 2 if task == "binary_classification" else f"2 to {MAX_INT_CLASSES}"
                if not (_is_number(low) and _is_number(high)) or not (
                    high - low == 1
                    if task == "binary_classification"
                    else 1 <= high - low < MAX_INT_CLASSES
                ):
                    bad(
                        "task_type",
                        f"an int target of a classifier names its classes by min "
                        f"and max ({classes} classes): give {schema['target']!r} both bounds",
                    )
            elif task == "multiclass_classification" and target_spec["dtype"] == "bool":
                bad("task_type", "a bool target has two classes: use binary_classification")
    elif schema_ok:
        task = default_task_type(schema)

    metric = answers.get("target_metric")
    if given("target_metric"):
        known = sorted(CHOICES["target_metric"])
        if metric not in known:
            bad("target_metric", f"{metric!r} is not one of {', '.join(known)}")
            metric = None
        elif task in METRICS_BY_TASK and metric not in METRICS_BY_TASK[task]:
            bad(
                "target_metric",
                f"{metric} does not measure {task}; use one of {', '.join(METRICS_BY_TASK[task])}",
            )
    if given("metric_threshold"):
        threshold = coerce_number(answers["metric_threshold"], integer=False)
        if threshold is None:
            bad("metric_threshold", f"{answers['metric_threshold']!r} is not a finite number")
        elif metric in _UNIT_METRICS and not 0 < threshold <= 1:
            bad(
                "metric_threshold",
                f"{metric} lies in (0, 1]; {threshold} can never be met or always is",
            )
        elif metric in {"roc_auc"} and threshold <= 0.5:
            bad("metric_threshold", "roc_auc at or below 0.5 passes a model that guesses")
        elif metric == "r2" and threshold > 1:
            bad("metric_threshold", "r2 is at most 1")
        elif metric in LOWER_IS_BETTER and threshold <= 0:
            bad("metric_threshold", f"{metric} is an error to stay under; it must be above 0")

    for name, choices in CHOICES.items():
        if name in {"task_type", "target_metric"}:
            continue  # checked above, against the schema and the task
        value = answers.get(name)
        if given(name) and str(value) not in choices:
            extra = " (there is no unauthenticated mode)" if name == "auth_mode" else ""
            bad(name, f"{value!r} is not one of {', '.join(choices)}{extra}")

    if given("k8s_namespace") and not (
        isinstance(answers["k8s_namespace"], str)
        and _RFC1123_LABEL.match(answers["k8s_namespace"])
        and len(answers["k8s_namespace"]) <= MAX_NAMESPACE
    ):
        bad(
            "k8s_namespace",
            "must be an RFC 1123 label: lowercase letters, digits and '-', "
            f"starting and ending alphanumeric, at most {MAX_NAMESPACE} characters "
            "(staging runs in <namespace>-staging)",
        )
    if given("image_registry"):
        registry = answers["image_registry"]
        if not isinstance(registry, str) or "://" in registry:
            bad(
                "image_registry",
                "give host[:port]/path without a scheme, e.g. registry.example.com/ml",
            )
        elif "@" in registry or not _REGISTRY.match(registry):
            bad(
                "image_registry",
                "must be a lowercase host[:port]/path with no tag or digest "
                "(the pipeline pins the digest itself)",
            )

    latencies: dict[str, int | float] = {}
    for name in ("latency_p50_ms", "latency_p99_ms", "throughput_rps"):
        if given(name):
            number = coerce_number(answers[name], integer=True)
            if number is None or number <= 0:
                bad(name, f"{answers[name]!r} is not a positive whole number")
            else:
                latencies[name] = number
    if latencies.get("latency_p99_ms", math.inf) < latencies.get("latency_p50_ms", 0):
        bad(
            "latency_p99_ms",
            f"p99 {latencies['latency_p99_ms']} ms is below p50 "
            f"{latencies['latency_p50_ms']} ms; a tail cannot be faster than the median",
        )
    if given("coverage_threshold"):
        coverage = coerce_number(answers["coverage_threshold"], integer=True)
        if coverage is None or not MIN_COVERAGE <= coverage <= 100:
            bad(
                "coverage_threshold",
                f"R1 refuses {answers['coverage_threshold']!r}: the gate "
                f"is a whole percentage from {MIN_COVERAGE} to {MAX_COVERAGE}",
            )
        elif coverage > MAX_COVERAGE:
            bad(
                "coverage_threshold",
                f"{coverage} % is more than the generated suite is proven to reach on its first "
                f"run, so CI would fail before you change a line; answer at most {MAX_COVERAGE} "
                "and raise the gate in the Makefile and .github/workflows/ml-pipeline.yml once "
                "your own tests cover more",
            )

    protected = answers.get("protected_attributes")
    domain = answers.get("domain")
    if protected is not None and not isinstance(protected, list):
        bad("protected_attributes", "must be a list of column names")
    elif domain in DOMAINS_NEEDING_FAIRNESS and not protected:
        bad(
            "protected_attributes",
            f"a {domain} service needs a fairness audit: name the "
            "protected columns (ethics boundary)",
        )
    elif protected and schema_ok:
        assert isinstance(schema, Mapping)
        for attribute in protected:
            if attribute not in schema["columns"]:
                bad("protected_attributes", f"{attribute!r} is not a column of the schema")
            elif attribute == schema["target"]:
                bad("protected_attributes", f"{attribute!r} is the target")
            elif schema["columns"][attribute]["dtype"] not in {"category", "bool"}:
                bad(
                    "protected_attributes",
                    f"{attribute!r} must be a category or bool column so groups can be compared",
                )
        if len(set(protected)) != len(protected):
            bad("protected_attributes", "names repeat")
        unprotected = [
            name
            for name, spec in schema["columns"].items()
            if name != schema["target"]
            and name not in protected
            and spec["dtype"] in MODEL_DTYPES
        ]
        if not unprotected:
            bad(
                "protected_attributes",
                "every usable feature is protected: the prediction log and the drift monitor "
                "never record protected values (and finance and medical models do not train on "
                "them), so add a feature that is not protected",
            )
    return problems

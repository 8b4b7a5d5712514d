"""The questions a production ML service cannot be built without, and why each rule needs them.

This table is the single source of truth for the interrogation: `copier.yml` renders its help
text from it, the Requirements Interrogation Form quotes it, and the answer model in
`answers.py` enforces it (its Literal types are declared here).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal, get_args

from architect_k.audit.registry import load_rules

# The answers picked from a fixed list are declared once, as the Literal types the answer model
# (answers.py) validates against; the tuples below are read from them for messages and tests.
TaskType = Literal["binary_classification", "multiclass_classification", "regression"]
ClassificationMetric = Literal["roc_auc", "pr_auc", "f1", "f1_macro", "accuracy", "log_loss"]
RegressionMetric = Literal["rmse", "mae", "r2"]
Metric = Literal[ClassificationMetric, RegressionMetric]
Cloud = Literal["aws", "gcp", "azure", "on_prem"]
GpuModel = Literal[
    "nvidia-t4",
    "nvidia-l4",
    "nvidia-a10g",
    "nvidia-a100-40gb",
    "nvidia-a100-80gb",
    "nvidia-h100-80gb",
]
Compute = Literal["cpu", GpuModel]
#: Kubernetes versions whose schemas the manifest validation ships with.
KubernetesVersion = Literal["1.29", "1.30", "1.31", "1.32"]
AuthMode = Literal["oauth2", "mtls"]
Domain = Literal["general", "finance", "medical"]
Distributed = Literal["none", "ddp"]
Dtype = Literal["int", "float", "bool", "category", "string", "datetime"]

TASK_TYPES: tuple[TaskType, ...] = get_args(TaskType)
METRICS: tuple[Metric, ...] = get_args(Metric)
CLASSIFICATION_METRICS: tuple[ClassificationMetric, ...] = get_args(ClassificationMetric)
REGRESSION_METRICS: tuple[RegressionMetric, ...] = get_args(RegressionMetric)
METRICS_BY_TASK: dict[str, tuple[str, ...]] = {
    "binary_classification": CLASSIFICATION_METRICS,
    "multiclass_classification": ("f1_macro", "accuracy", "log_loss"),
    "regression": REGRESSION_METRICS,
}
#: Metrics where a lower value is better: the gate is `metric <= threshold` for these.
LOWER_IS_BETTER = frozenset({"log_loss", "rmse", "mae"})
CLOUDS: tuple[Cloud, ...] = get_args(Cloud)
#: GPU models we render for, with their memory in GiB (R9 warns above 75 % of it).
GPU_VRAM_GB: dict[str, int] = {
    "nvidia-t4": 16,
    "nvidia-l4": 24,
    "nvidia-a10g": 24,
    "nvidia-a100-40gb": 40,
    "nvidia-a100-80gb": 80,
    "nvidia-h100-80gb": 80,
}
COMPUTE_CHOICES: tuple[str, ...] = get_args(Compute)


def is_gpu(compute: object) -> bool:
    """Whether a `deployment_compute` answer names a GPU: the one test of it in the package.

    The render (base image, node selectors, GPU limits) and the scar warnings (CUDA scars) both
    ask it, so they cannot disagree about a deployment.
    """
    return isinstance(compute, str) and compute in GPU_VRAM_GB


KUBERNETES_VERSIONS: tuple[KubernetesVersion, ...] = get_args(KubernetesVersion)
AUTH_MODES: tuple[AuthMode, ...] = get_args(AuthMode)
DOMAINS: tuple[Domain, ...] = get_args(Domain)
DOMAINS_NEEDING_FAIRNESS = frozenset({"finance", "medical"})
DISTRIBUTED: tuple[Distributed, ...] = get_args(Distributed)
DTYPES: tuple[Dtype, ...] = get_args(Dtype)
#: The dtypes the model trains on; the others are validated and passed through to the API and
#: the prediction log, never into the network.
MODEL_DTYPES = ("int", "float", "bool", "category")
PASSTHROUGH_DTYPES = tuple(dtype for dtype in DTYPES if dtype not in MODEL_DTYPES)
#: The lowest coverage gate: R1's `min_coverage` in the rule registry, the one place it is set
#: (a service gated below it would fail its own audit on the first commit). Answers are whole
#: percentages, so a fractional minimum rounds up. The registry sits in the template checkout
#: beside src/, so copier's interpreter reads it through hooks/extensions.py as well.
MIN_COVERAGE = math.ceil(float(load_rules()["R1"].params["min_coverage"]))
#: The highest gate a rendered service's own suite is proven to pass on its first run: tier 2 of
#: tests/test_answer_space.py runs five services unlike the examples at exactly this gate. The
#: generated suites cover 95-96 % of their package (CUDA and multi-process paths cannot run in a
#: CPU test run); a gate above what the first run reaches would make CI red before any edit.
MAX_COVERAGE = 93
#: Length limits of the free-text answers and of identifiers derived from or given as answers.
MAX_PROJECT_NAME = 64
MAX_DESCRIPTION = 500
MAX_PACKAGE_NAME = 40
MAX_COLUMN_NAME = 64
#: Kubernetes names derive from the app name with suffixes, the longest "-psi-monitor" on a
#: CronJob, whose name may hold 52 characters.
MAX_APP_NAME = 40
#: The staging overlay runs in "<namespace>-staging", which must stay a 63-character label.
MAX_NAMESPACE = 63 - len("-staging")
#: How many classes an int target of a multiclass classifier may name through min and max.
MAX_INT_CLASSES = 100
#: The answers picked from a fixed list, and the values the checks accept for each. copier.yml's
#: `choices:` and the README's answers block restate them for people; tests hold them equal.
CHOICES: dict[str, tuple[str, ...]] = {
    "task_type": TASK_TYPES,
    "target_metric": METRICS,
    "deployment_cloud": CLOUDS,
    "deployment_compute": COMPUTE_CHOICES,
    "kubernetes_version": KUBERNETES_VERSIONS,
    "auth_mode": AUTH_MODES,
    "domain": DOMAINS,
    "distributed": DISTRIBUTED,
}


@dataclass(frozen=True)
class Field:
    """One answer of the interrogation: why the generated service needs it, and an example."""

    name: str
    why: str
    example: str
    required: bool


FIELDS: tuple[Field, ...] = (
    Field(
        "project_name",
        "Names the package, the image, the Kubernetes objects and the MLflow experiment.",
        "project_name: Churn Service",
        required=True,
    ),
    Field(
        "project_description",
        "One line for the README, the model card and the image labels.",
        "project_description: Predicts which customers will cancel next month.",
        required=False,
    ),
    Field(
        "package_name",
        "The Python package under src/; derived from the project name.",
        "package_name: churn_service",
        required=False,
    ),
    Field(
        "dataset_schema",
        "R3 validates every row against it before any fit (SCA-0031: null columns silently "
        "dropped, the model trained on 40 % of its features); it also types the API and the "
        "drift monitor. Give the target and every column with its dtype "
        f"({', '.join(DTYPES)}) and optional nullable, min, max, categories.",
        "dataset_schema:\n  target: churned\n  columns:\n"
        "    tenure_months: {dtype: int, min: 0, max: 600}\n"
        "    contract: {dtype: category, categories: [monthly, yearly]}\n"
        "    churned: {dtype: bool}",
        required=True,
    ),
    Field(
        "task_type",
        "Chooses the output layer, the loss and the metrics; derived from the target's dtype.",
        "task_type: binary_classification",
        required=False,
    ),
    Field(
        "target_metric",
        "The gate training must pass before a model is registered; without it nothing tells "
        "a good model from a bad one. Classification: "
        f"{', '.join(CLASSIFICATION_METRICS)}; regression: {', '.join(REGRESSION_METRICS)}.",
        "target_metric: roc_auc",
        required=True,
    ),
    Field(
        "metric_threshold",
        "The value of target_metric the held-out split must reach (at most, for log_loss, "
        "rmse and mae); a model that misses it is not registered.",
        "metric_threshold: 0.80",
        required=True,
    ),
    Field(
        "deployment_cloud",
        "Decides the registry, storage and load-balancer defaults of the manifests.",
        f"deployment_cloud: aws   # one of {', '.join(CLOUDS)}",
        required=True,
    ),
    Field(
        "deployment_compute",
        "CPU or the GPU model: picks the base image, the resource requests, and the VRAM that "
        "R7/R9 profile and check the effective batch size against (SCA-0103: OOM on an A100 "
        "at epoch 3).",
        f"deployment_compute: cpu   # or one of {', '.join(GPU_VRAM_GB)}",
        required=True,
    ),
    Field(
        "kubernetes_version",
        "The API versions the manifests are validated against.",
        f'kubernetes_version: "1.31"   # one of {", ".join(KUBERNETES_VERSIONS)}',
        required=False,
    ),
    Field(
        "k8s_namespace",
        "Where the service runs; an RFC 1123 label.",
        "k8s_namespace: ml-production",
        required=False,
    ),
    Field(
        "image_registry",
        "Where CI pushes the image; R5 deploys it by digest from there (SCA-0058: a mutable "
        "tag served the wrong model for 11 days).",
        "image_registry: registry.example.com/ml",
        required=True,
    ),
    Field(
        "latency_p50_ms",
        "The SLA the load test gates on and the rollback trigger watches (R6, SCA-0072).",
        "latency_p50_ms: 12",
        required=True,
    ),
    Field(
        "latency_p99_ms",
        "The tail the rollback trigger and the load test hold the service to; at least p50.",
        "latency_p99_ms: 45",
        required=True,
    ),
    Field(
        "throughput_rps",
        "Sizes the autoscaler (HPA replicas) and the load test.",
        "throughput_rps: 500",
        required=True,
    ),
    Field(
        "auth_mode",
        "Every inference route is authenticated: oauth2 (JWT bearer) or mtls. There is no "
        "'none' (ethics boundary: no inference endpoint without access control).",
        "auth_mode: oauth2",
        required=False,
    ),
    Field(
        "coverage_threshold",
        f"R1 gates CI on it, from {MIN_COVERAGE} (SCA-0009: an untested classifier fell from 73 % "
        f"to 31 % precision in production) to {MAX_COVERAGE}, the most the generated suite is "
        "proven to reach; raise it in the Makefile and the CI workflow as your tests grow.",
        "coverage_threshold: 90",
        required=False,
    ),
    Field(
        "domain",
        "finance and medical services must ship a fairness audit (ethics boundary).",
        f"domain: general   # one of {', '.join(DOMAINS)}",
        required=False,
    ),
    Field(
        "protected_attributes",
        "The columns the fairness audit reports per group; required and non-empty for finance "
        "and medical, and each must be a column of the schema.",
        "protected_attributes: [gender, age_band]",
        required=False,
    ),
    Field(
        "distributed",
        "none trains in one process; ddp renders torchrun and a Kubeflow PyTorchJob (R9 asserts "
        "the effective batch size across workers).",
        "distributed: none",
        required=False,
    ),
)

FIELDS_BY_NAME: dict[str, Field] = {field.name: field for field in FIELDS}
REQUIRED: tuple[str, ...] = tuple(field.name for field in FIELDS if field.required)
#: The four invariants of Phase 0 (docs/architect-k.md §4.0) and the answers that make each one up.
INVARIANTS: dict[str, tuple[str, ...]] = {
    "dataset schema": ("dataset_schema",),
    "target metric": ("target_metric", "metric_threshold"),
    "deployment environment": ("deployment_cloud", "deployment_compute", "image_registry"),
    "latency SLA": ("latency_p50_ms", "latency_p99_ms", "throughput_rps"),
}

"""The two handoffs a rendered service carries, built as data and dumped as JSON.

- data engineering (D2E, handoff/data-engineering.json): the data contract the training
  pipeline expects delivered (schemas/handoff/data-engineering.schema.json);
- infrastructure (D2I, handoff/infrastructure.json): what the cluster must provide, by name and
  size, from the same facts the manifests render (schemas/handoff/infrastructure.schema.json).

docs/architect-k.md §5.2 describes both.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from architect_k.enforcement import WORKFLOW, enforcement
from architect_k.workloads import GPU_RESOURCE, GPU_TOLERATIONS

#: The rules a cluster team answers for with the delivery: CI, the manifests and the image.
DELIVERY_RULES = ("R1", "R2", "R5", "R6", "R10", "R11", "R12")
#: The placeholder digest of the manifests until CI pins the built one.
ZERO_DIGEST = "sha256:" + "0" * 64

FEATURE_FIELDS = ("name", "dtype", "nullable", "min", "max", "categories")


def data_engineering(answers: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """The D2E handoff: the contract of the data delivered for training."""
    app = context["app_name"]
    return {
        "handoff_id": f"D2E-{app}-{context['schema_version']}",
        "source": "architect-k",
        "target": "data-engineering",
        "project": answers["project_name"],
        "payload": {
            "feature_schema": f"src/{context['package_name']}/schema.py",
            "pipeline_contract": {
                "schema_version": context["schema_version"],
                "task": context["task"],
                "target_column": context["target"],
                "target_dtype": context["target_column"]["dtype"],
                "expected_features": [
                    {field: column[field] for field in FEATURE_FIELDS}
                    for column in context["features"]
                ],
                "passthrough_columns": [c["name"] for c in context["passthrough_columns"]],
                "protected_attributes": list(answers.get("protected_attributes") or []),
                "split_boundary_enforced": True,
                "split_boundary": (
                    "Deliver raw, unencoded columns: every encoder, scaler and statistic is "
                    "fitted on the train split only (R4)."
                ),
            },
            "delivery": {
                "format": "parquet",
                "namespace": answers["k8s_namespace"],
                "volume_claim": f"{app}-training-data",
                "path": "training.parquet",
            },
            "scar_warnings": [
                {key: warning[key] for key in ("scar_id", "rule", "message")}
                for warning in context["scar_warnings"]
            ],
        },
    }


def _gpu(sizes: Mapping[str, Mapping[str, str]]) -> str | None:
    count = sizes["limits"].get(GPU_RESOURCE)
    return f"{GPU_RESOURCE}: {count}" if count else None


def _inventory(name: str, kind: str, keys: list[str], used_by: list[str]) -> dict[str, Any]:
    return {"name": name, "kind": kind, "keys": keys, "used_by": used_by}


def _ci_secret(name: str, *jobs: str) -> dict[str, Any]:
    return _inventory(name, "GitHub environment secret", [], [f"ci:{job}" for job in jobs])


def infrastructure(answers: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """The D2I handoff: what the cluster must provide before the service deploys."""
    app = context["app_name"]
    namespace = answers["k8s_namespace"]
    serving, training = context["resources"]["serving"], context["resources"]["training"]
    mtls = answers["auth_mode"] == "mtls"
    storage_class = context["rwx_storage_class"]
    where = enforcement(answers, context["package_name"])
    return {
        "handoff_id": f"D2I-{app}",
        "source": "architect-k",
        "target": "infrastructure",
        "project": answers["project_name"],
        "payload": {
            "kubernetes_namespace": namespace,
            "staging_namespace": f"{namespace}-staging",
            "kubernetes_version": answers["kubernetes_version"],
            "cloud": answers["deployment_cloud"],
            "resource_requirements": {
                "serving": {
                    "replicas": {
                        "min": context["hpa_min_replicas"],
                        "max": context["hpa_max_replicas"],
                    },
                    "cpu_request": serving["requests"]["cpu"],
                    "cpu_limit": serving["limits"]["cpu"],
                    "memory_request": serving["requests"]["memory"],
                    "memory_limit": serving["limits"]["memory"],
                    "gpu": _gpu(serving),
                },
                "training": {
                    "pods": context["trainer_pods"],
                    "cpu_request": training["requests"]["cpu"],
                    "memory_request": training["requests"]["memory"],
                    "gpu": _gpu(training),
                },
                "node_selector": context["gpu_node_selector"],
                "storage": [
                    {
                        "claim": f"{app}-{volume}",
                        "storage_class": storage_class,
                        "access_mode": "ReadWriteMany",
                        "size": size,
                    }
                    for volume, size in context["volume_sizes"].items()
                ],
            },
            "secrets_inventory": [
                _inventory(
                    f"{app}-mlflow", "Secret", ["tracking-uri", "tracking-token"], ["training"]
                ),
                *(
                    [_inventory(f"{app}-tls", "Secret", ["tls.crt", "tls.key"], ["serving"])]
                    if mtls
                    else []
                ),
                _ci_secret("REGISTRY_USERNAME", "build", "scan"),
                _ci_secret("REGISTRY_PASSWORD", "build", "scan"),
                _ci_secret("MLFLOW_TRACKING_URI", "build"),
                _ci_secret("MLFLOW_TRACKING_TOKEN", "build"),
                _ci_secret("KUBECONFIG", "deploy", "load-test"),
            ],
            "config_inventory": [
                _inventory(f"{app}-client-ca", "ConfigMap", ["ca.crt"], ["serving"])
                if mtls
                else _inventory(
                    f"{app}-auth", "ConfigMap", ["issuer", "audience", "jwks.json"], ["serving"]
                )
            ],
            "network_policies_required": [f"{app}-default-deny", f"{app}-api", f"{app}-training"],
            "cluster_prerequisites": _prerequisites(answers, context),
            "image_ref": f"{context['image_name']}@{ZERO_DIGEST}",
            "image_digest_source": (
                f"the build job of {WORKFLOW}; deploy pins it with kustomize edit set image"
            ),
            "compliance_checklist": [
                {"rule": rule, "enforced_in": [path for path, _ in where[rule]]}
                for rule in DELIVERY_RULES
            ],
        },
    }


def _prerequisites(answers: Mapping[str, Any], context: Mapping[str, Any]) -> list[str]:
    needed = [
        "a CNI that enforces NetworkPolicy",
        "MLflow tracking server in namespace mlflow, pods labelled app.kubernetes.io/name=mlflow,"
        " port 5000, proxying artifacts",
        "metrics-server and a Prometheus adapter serving the pods metric "
        "inference_requests_per_second",
        f"a ReadWriteMany storage class named {context['rwx_storage_class']}",
    ]
    if context["is_gpu"]:
        labels = ", ".join(f"{key}={value}" for key, value in context["gpu_node_selector"].items())
        taints = ", ".join(f"{t['key']}:{t['effect']}" for t in GPU_TOLERATIONS)
        needed.append(f"NVIDIA device plugin and GPU nodes labelled {labels}, tainted {taints}")
    if answers["distributed"] == "ddp":
        needed.append("Kubeflow training operator (PyTorchJob, kubeflow.org/v1)")
    return needed


def handoffs_context(answers: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """Both handoff documents, for the templates to dump."""
    return {
        "data_engineering_handoff": data_engineering(answers, context),
        "infrastructure_handoff": infrastructure(answers, context),
    }

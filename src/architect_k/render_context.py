"""Values the template derives from the answers, computed once here rather than in Jinja."""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any

from architect_k.audit.registry import load_rules
from architect_k.enforcement import rule_table
from architect_k.handoffs import handoffs_context
from architect_k.interrogation.checks import coerce_number
from architect_k.interrogation.defaults import default_task_type, package_name_for, slug_for
from architect_k.interrogation.fields import (
    GPU_VRAM_GB,
    LOWER_IS_BETTER,
    MAX_APP_NAME,
    MODEL_DTYPES,
    is_gpu,
)
from architect_k.ledger.fipi import scar_warnings
from architect_k.workloads import workloads_context

#: Requests per second one CPU replica is sized for; the HPA scales out from there.
RPS_PER_REPLICA = 250
MIN_REPLICAS = 2


def derive(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Return the derived render context for a complete, valid set of answers."""
    schema = answers["dataset_schema"]
    target = schema["target"]
    columns = [
        {
            "name": name,
            "dtype": spec["dtype"],
            "nullable": bool(spec.get("nullable", False)),
            "min": spec.get("min"),
            "max": spec.get("max"),
            "categories": list(spec.get("categories", [])),
            "description": spec.get("description", ""),
        }
        for name, spec in schema["columns"].items()
    ]
    features = [c for c in columns if c["name"] != target and c["dtype"] in MODEL_DTYPES]
    compute = str(answers["deployment_compute"])
    throughput = coerce_number(answers["throughput_rps"], integer=True) or 1
    max_replicas = max(MIN_REPLICAS + 1, math.ceil(2 * throughput / RPS_PER_REPLICA))
    task_type = answers.get("task_type") or default_task_type(schema)
    canonical = json.dumps(schema, sort_keys=True, separators=(",", ":"))
    app_name = slug_for(str(answers["project_name"]), MAX_APP_NAME)
    context: dict[str, Any] = {
        "schema_version": hashlib.sha256(canonical.encode()).hexdigest()[:12],
        "app_name": app_name,
        "package_name": answers.get("package_name") or package_name_for(answers["project_name"]),
        "image_name": f"{answers['image_registry']}/{app_name}",
        "is_gpu": is_gpu(compute),
        "vram_gb": GPU_VRAM_GB.get(compute, 0),
        "columns": columns,
        "target": target,
        "target_column": next(c for c in columns if c["name"] == target),
        "features": features,
        "model_dtypes": MODEL_DTYPES,
        "passthrough_columns": [
            c for c in columns if c["name"] != target and c["dtype"] not in MODEL_DTYPES
        ],
        "task": task_type,
        "metric_greater_is_better": answers["target_metric"] not in LOWER_IS_BETTER,
        "hpa_min_replicas": MIN_REPLICAS,
        "hpa_max_replicas": max_replicas,
        "rps_per_replica": RPS_PER_REPLICA,
        **delivery_context(answers),
        **workloads_context(answers),
        "rules": [
            {
                "id": rule.id,
                "title": rule.title,
                "action": rule.action,
                "scar": rule.scar,
                "severity": rule.severity,
                "exception_tag": rule.exception_tag,
                "remediation": rule.remediation,
            }
            for rule in load_rules().values()
        ],
        "scar_warnings": [
            {
                "scar_id": w.scar_id,
                "rule": w.rule,
                "similarity": round(w.similarity, 3),
                "radius": w.radius,
                "message": w.message,
            }
            for w in scar_warnings(answers)
        ],
    }
    # The handoffs and the architecture page's rule table are built from the facts above.
    return {
        **context,
        **handoffs_context(answers, context),
        "rule_table": rule_table(answers, context),
    }


#: GKE labels GPU nodes with its own accelerator names; other clouds and on-prem clusters get
#: the product label of NVIDIA's GPU feature discovery (shipped with the GPU operator).
GKE_ACCELERATORS: dict[str, str] = {
    "nvidia-t4": "nvidia-tesla-t4",
    "nvidia-l4": "nvidia-l4",
    "nvidia-a100-40gb": "nvidia-tesla-a100",
    "nvidia-a100-80gb": "nvidia-a100-80gb",
    "nvidia-h100-80gb": "nvidia-h100-80gb",
}
GFD_PRODUCTS: dict[str, str] = {
    "nvidia-t4": "Tesla-T4",
    "nvidia-l4": "NVIDIA-L4",
    "nvidia-a10g": "NVIDIA-A10G",
    "nvidia-a100-40gb": "NVIDIA-A100-SXM4-40GB",
    "nvidia-a100-80gb": "NVIDIA-A100-SXM4-80GB",
    "nvidia-h100-80gb": "NVIDIA-H100-80GB-HBM3",
}
#: A ReadWriteMany storage class per cloud: the serving pods append prediction logs that the
#: PSI CronJob reads, so the volume must mount on several nodes at once.
RWX_STORAGE_CLASSES: dict[str, str] = {
    "aws": "efs-sc",
    "gcp": "standard-rwx",
    "azure": "azurefile-csi",
    "on_prem": "nfs-client",
}


def delivery_context(answers: Mapping[str, Any]) -> dict[str, Any]:
    """Values the Dockerfile, Kubernetes manifests, CI pipeline and handoffs share."""
    compute = str(answers["deployment_compute"])
    cloud = str(answers["deployment_cloud"])
    selector: dict[str, str] = {}
    if is_gpu(compute):
        if cloud == "gcp" and compute in GKE_ACCELERATORS:
            selector = {"cloud.google.com/gke-accelerator": GKE_ACCELERATORS[compute]}
        else:
            selector = {"nvidia.com/gpu.product": GFD_PRODUCTS[compute]}
    return {
        "gpu_node_selector": selector,
        "registry_host": str(answers["image_registry"]).split("/", 1)[0],
        "rwx_storage_class": RWX_STORAGE_CLASSES[cloud],
    }

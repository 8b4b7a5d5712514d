"""What the pods of a rendered service are: security contexts, sizes and GPU placement.

Declared once here and rendered into the Kubernetes manifests (through the `yaml` filter of
hooks/extensions.py) and into the infrastructure handoff (architect_k.handoffs), so the cluster
team is told exactly what the manifests ask for.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from architect_k.interrogation.fields import is_gpu

#: The image's USER (see the Dockerfile): every container runs as it, never as root.
SERVICE_UID = 10001

POD_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": SERVICE_UID,
    "runAsGroup": SERVICE_UID,
    # Volumes (the prediction log, the training data) are writable by the service's group.
    "fsGroup": SERVICE_UID,
    "seccompProfile": {"type": "RuntimeDefault"},
}
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "allowPrivilegeEscalation": False,
    "readOnlyRootFilesystem": True,
    "runAsNonRoot": True,
    "runAsUser": SERVICE_UID,
    "runAsGroup": SERVICE_UID,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": {"type": "RuntimeDefault"},
}

GPU_RESOURCE = "nvidia.com/gpu"
#: GPU nodes are tainted so that only pods asking for a GPU land there.
GPU_TOLERATIONS: list[dict[str, str]] = [
    {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}
]


def _sizes(
    requests: tuple[str, str], limits: tuple[str, str], gpus: int = 0
) -> dict[str, dict[str, str]]:
    gpu = {GPU_RESOURCE: str(gpus)} if gpus else {}
    return {
        "requests": {"cpu": requests[0], "memory": requests[1], **gpu},
        "limits": {"cpu": limits[0], "memory": limits[1], **gpu},
    }


#: Container sizes per workload and kind of compute. A GPU replica gets a whole GPU and the
#: host memory to stage its batches; the trainer's requests equal its limits, so a run is never
#: evicted for memory it was promised.
RESOURCES: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "serving": {
        "cpu": _sizes(("1", "2Gi"), ("2", "4Gi")),
        "gpu": _sizes(("4", "16Gi"), ("8", "32Gi"), gpus=1),
    },
    "training": {
        "cpu": _sizes(("4", "16Gi"), ("4", "16Gi")),
        "gpu": _sizes(("8", "64Gi"), ("8", "64Gi"), gpus=1),
    },
    # The PSI monitor reads the prediction log on CPU whatever the model runs on.
    "psi_monitor": dict.fromkeys(("cpu", "gpu"), _sizes(("250m", "512Mi"), ("1", "1Gi"))),
}


#: The volumes' sizes, by the suffix of their claim's name: the prediction log the API appends
#: and the PSI monitor reads, and the training set data engineering delivers.
VOLUME_SIZES = {"predictions": "20Gi", "training-data": "50Gi"}


def workloads_context(answers: Mapping[str, Any]) -> dict[str, Any]:
    """The pod facts for these answers, as the templates and the handoffs read them."""
    compute = "gpu" if is_gpu(answers["deployment_compute"]) else "cpu"
    ddp = answers["distributed"] == "ddp"
    return {
        "pod_security_context": POD_SECURITY_CONTEXT,
        "container_security_context": CONTAINER_SECURITY_CONTEXT,
        "resources": {workload: sizes[compute] for workload, sizes in RESOURCES.items()},
        "gpu_tolerations": GPU_TOLERATIONS,
        "volume_sizes": VOLUME_SIZES,
        "trainer_kind": "PyTorchJob" if ddp else "Job",
        # JSON pointers to the trainer's pod specs: a Job has one, a PyTorchJob one per role.
        "trainer_pod_paths": (
            [f"/spec/pytorchReplicaSpecs/{role}/template/spec" for role in ("Master", "Worker")]
            if ddp
            else ["/spec/template/spec"]
        ),
        "trainer_pods": 2 if ddp else 1,
    }


class _ManifestDumper(yaml.SafeDumper):
    """Block YAML as the manifests write it: list items indented under their key, and double
    quotes where a value needs quoting ("1", not '1')."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)

    def choose_scalar_style(self) -> str:
        style: str = super().choose_scalar_style()
        return '"' if style == "'" else style


def to_yaml(value: Any) -> str:
    """`value` as a block of YAML, keys in their declared order, without a trailing newline."""
    text: str = yaml.dump(
        value, Dumper=_ManifestDumper, sort_keys=False, default_flow_style=False, width=100
    )
    return text.rstrip("\n")

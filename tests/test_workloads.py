"""The pod facts the manifests and the infrastructure handoff share (architect_k.workloads)."""

from __future__ import annotations

import yaml

from architect_k.interrogation.fields import COMPUTE_CHOICES
from architect_k.render import load_answers
from architect_k.workloads import to_yaml, workloads_context
from tests.conftest import EXAMPLES_DIR


def test_pod_facts_dump_as_yaml_that_reads_back_unchanged() -> None:
    answers = load_answers(EXAMPLES_DIR / "demand_forecast_gpu.yml")
    context = workloads_context(answers)
    for name in ("pod_security_context", "container_security_context", "resources"):
        assert yaml.safe_load(to_yaml(context[name])) == context[name], name
    # Quantities that look like numbers stay strings, in the manifests' double quotes.
    assert 'cpu: "8"' in to_yaml(context["resources"]["serving"])
    assert "drop:\n    - ALL" in to_yaml(context["container_security_context"])


def test_a_gpu_service_asks_for_one_gpu_to_serve_and_to_train() -> None:
    answers = load_answers(EXAMPLES_DIR / "churn.yml")
    for compute in COMPUTE_CHOICES:
        answers["deployment_compute"] = compute
        resources = workloads_context(answers)["resources"]
        expected = {} if compute == "cpu" else {"nvidia.com/gpu": "1"}
        for workload in ("serving", "training"):
            for bound in ("requests", "limits"):
                sizes = resources[workload][bound]
                assert {k: v for k, v in sizes.items() if k.startswith("nvidia")} == expected
        assert "nvidia.com/gpu" not in resources["psi_monitor"]["limits"]

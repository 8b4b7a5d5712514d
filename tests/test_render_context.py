"""The render context: what the template and the scar warnings derive from the answers."""

from __future__ import annotations

from typing import Any

import pytest

from architect_k.interrogation.fields import CLOUDS, COMPUTE_CHOICES
from architect_k.ledger import fipi
from architect_k.render import load_answers
from architect_k.render_context import derive
from tests.conftest import EXAMPLES_DIR


def _deployed_on(cloud: str, compute: str) -> dict[str, Any]:
    answers = load_answers(EXAMPLES_DIR / "churn.yml")
    answers.update(deployment_cloud=cloud, deployment_compute=compute)
    return answers


@pytest.mark.parametrize("cloud", CLOUDS)
@pytest.mark.parametrize("compute", COMPUTE_CHOICES)
def test_the_render_and_the_scar_warnings_agree_on_what_is_a_gpu(cloud: str, compute: str) -> None:
    """Every compute choice but cpu is a GPU, for the manifests and the CUDA scars alike."""
    answers = _deployed_on(cloud, compute)
    context = derive(answers)
    gpu = compute != "cpu"
    assert context["is_gpu"] is gpu
    assert ("cuda" in fipi.answers_context(answers).split("→")) is gpu
    assert bool(context["gpu_node_selector"]) is gpu
    assert (context["vram_gb"] > 0) is gpu

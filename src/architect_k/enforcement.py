"""Where a rendered service enforces each rule: the files, and what in them.

One map, rendered as the rule table of the service's docs/architecture.md and as the compliance
checklist of its infrastructure handoff (architect_k.handoffs).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

WORKFLOW = ".github/workflows/ml-pipeline.yml"
INFRASTRUCTURE_HANDOFF = "handoff/infrastructure.json"


def enforcement(answers: Mapping[str, Any], package: str) -> dict[str, list[tuple[str, str]]]:
    """{rule id: [(path, what in it enforces the rule, in Markdown; "" for the whole file)]}."""
    src = f"src/{package}"
    return {
        "R1": [(WORKFLOW, f"`--cov-fail-under={answers['coverage_threshold']}`"), ("tests/", "")],
        "R2": [
            ("k8s/", "Secret and ConfigMap references only"),
            (WORKFLOW, "`secrets.*`"),
            (INFRASTRUCTURE_HANDOFF, "names, never values"),
        ],
        "R3": [
            (f"{src}/schema.py", ""),
            (f"{src}/training/prepare.py", ""),
            (WORKFLOW, "validate job"),
        ],
        "R4": [
            (f"{src}/features.py", ""),
            (WORKFLOW, "validate job: `architect-k audit --rules R3,R4`"),
        ],
        "R5": [
            ("k8s/base/kustomization.yaml", ""),
            ("k8s/training/kustomization.yaml", ""),
            (WORKFLOW, "deploy job"),
        ],
        "R6": [("k8s/base/deployment.yaml", ""), (WORKFLOW, "deploy and load-test jobs")],
        "R7": [(f"{src}/training/compliance.py", "")],
        "R8": [
            (f"{src}/training/compliance.py", ""),
            ("Dockerfile", "`PYTHONHASHSEED`, `CUBLAS_WORKSPACE_CONFIG`"),
        ],
        "R9": [(f"{src}/training/compliance.py", ""), ("configs/train.yaml", "")],
        "R10": [(WORKFLOW, "build job"), ("scripts/generate_model_card.py", "")],
        "R11": [("k8s/base/psi-cronjob.yaml", ""), (f"{src}/monitoring/psi.py", "")],
        "R12": [("requirements.lock", ""), ("Dockerfile", ""), ("pyproject.toml", "")],
    }


def not_applicable(answers: Mapping[str, Any], gpu: bool) -> dict[str, str]:
    """{rule id: why it does not apply to this service}, for the rules that do not."""
    reasons: dict[str, str] = {}
    if not gpu:
        reasons["R7"] = "CPU-only training"
    if answers["distributed"] != "ddp":
        reasons["R9"] = (
            "single-process training; checked whenever gradient accumulation is configured"
        )
    return reasons


def rule_table(answers: Mapping[str, Any], context: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rows of the architecture page's rule pre-check, one per rule, as Markdown cells."""
    where = enforcement(answers, context["package_name"])
    skipped = not_applicable(answers, context["is_gpu"])
    rows = []
    for rule in context["rules"]:
        cells = [f"`{path}` ({what})" if what else f"`{path}`" for path, what in where[rule["id"]]]
        rows.append(
            {
                "rule": f"{rule['id']} {rule['title']}",
                "applies": f"no: {skipped[rule['id']]}" if rule["id"] in skipped else "yes",
                "enforced_in": ", ".join(cells),
                "scar": rule["scar"] or "ethics invariant",
            }
        )
    return rows

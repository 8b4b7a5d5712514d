"""Failure-Informed Prompt Inversion (docs/architect-k.md §3.5): scar warnings for answers.

The copier answers are translated into a context in the scars' own vocabulary, encoded as a
hypervector, and compared with every scar. A scar warns when it is eligible (its
``fipi_deflection_radius`` is above :data:`RADIUS_FLOOR`) and its ``similarity * radius``
reaches :data:`THRESHOLD`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from architect_k.interrogation.fields import is_gpu
from architect_k.ledger.chain import Scar, current, load
from architect_k.ledger.match import rank
from architect_k.ledger.vsa import tokenize

#: Only scars whose deflection radius exceeds this may warn (docs/architect-k.md §3.5).
RADIUS_FLOOR = 0.70

#: Minimum ``similarity * radius`` for a warning.
#:
#: Measured on the shipped ledger with the answer sets in ``examples/`` and
#: ``tests/fixtures/ledger/`` (tests/test_ledger_fipi.py pins these): a scar sharing no token
#: with the answers scores within +-0.02 (the noise of 10,000-bit vectors); sharing one or two
#: generic facts every project has (``pytorch``, ``batch_size``, ``deploy``, ``classifier``)
#: scores at most 0.095 (SCA-0009 for the CPU classifier); the closest non-DDP answers come to
#: SCA-0103 is 0.064. The warnings that should fire score 0.17-0.20 (SCA-0047 with categorical
#: columns) and 0.21-0.24 (SCA-0103 with DDP on a GPU: ``pytorch→ddp`` and gradient
#: accumulation in common). 0.13 sits midway between 0.095 and 0.17: a warning needs several
#: specific shared facts, and no single generic word can raise one.
THRESHOLD = 0.13

_RULE_PREFIX = re.compile(r"^RULE_(R[0-9]+)_ENFORCE:\s*")
_CLASSIFICATION = {"binary_classification", "multiclass_classification", "classification"}


@dataclass(frozen=True)
class ScarWarning:
    """One scar the answers resemble closely enough to warn about before rendering."""

    scar_id: str
    rule: str | None
    similarity: float
    radius: float
    score: float
    message: str


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        return None
    return value


def _columns(answers: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    schema = answers.get("dataset_schema")
    if not isinstance(schema, Mapping):
        return []
    columns = schema.get("columns")
    if not isinstance(columns, Mapping):
        return []
    return [spec for spec in columns.values() if isinstance(spec, Mapping)]


def answers_context(answers: Mapping[str, Any]) -> str:
    """The answers as a scar-style context, in pipeline order.

    What each answer implies for the generated project, in the scars' vocabulary:
    the framework (PyTorch unless answered otherwise); ``distributed: ddp`` means DDP with
    gradient accumulation (the generated train config accumulates when distributed); every
    train config has a batch size (with its value when answered); GPU compute
    means CUDA; nullable columns mean null handling; categorical columns mean a categorical
    encoding, which with a supervised target is the target-encoding leakage path; finance and
    medical add the fairness audit; every project is deployed for inference with a PSI monitor.
    """
    tokens: list[str] = [_text(answers.get("framework")) or "pytorch"]
    distributed = _text(answers.get("distributed")).lower()
    if distributed and distributed != "none":
        tokens.append(distributed)
        steps = _positive_int(
            answers.get("grad_accum_steps", answers.get("gradient_accumulation_steps"))
        )
        tokens.append(
            "gradient_accumulation_steps"
            if steps is None
            else f"gradient_accumulation_steps={steps}"
        )
    batch = _positive_int(answers.get("batch_size"))
    tokens.append("batch_size" if batch is None else f"batch_size={batch}")
    compute = _text(answers.get("deployment_compute")).lower()
    if is_gpu(compute):
        tokens.extend(["cuda", "gpu", re.sub(r"\s+", "_", compute)])
    else:
        tokens.append("cpu")
    columns = _columns(answers)
    tokens.append("schema_validation")
    if any(spec.get("nullable") is True for spec in columns):
        tokens.append("null_columns")
    tokens.append("train_test_split")
    if any(_text(spec.get("dtype")).lower() == "category" for spec in columns):
        tokens.extend(["feature_engineering", "target_encode", "category_encoding"])
    task = _text(answers.get("task_type")).lower()
    if task in _CLASSIFICATION:
        tokens.extend([task, "classifier"])
    elif task:
        tokens.append(task)
    domain = _text(answers.get("domain")).lower()
    if domain and domain != "general":
        tokens.extend([f"domain={domain}", "fairness_audit"])
    tokens.extend(["deploy", "inference", "psi_monitor"])
    return "→".join(token.replace("→", "_") for token in tokens if token)


def _shared_tokens(context: str, scar: Scar) -> list[str]:
    mine = set(tokenize(context))
    mine |= {token.partition("=")[0] for token in mine}
    shared: list[str] = []
    for token in tokenize(scar.context_vector):
        key = token.partition("=")[0]
        if token in mine:
            shared.append(token)
        elif key in mine:
            shared.append(key)
    return shared


def _message(scar: Scar, similarity: float, score: float, shared: Sequence[str]) -> str:
    fix = _RULE_PREFIX.sub(lambda m: f"{m.group(1)}: ", scar.immune_response).replace("\n", " ")
    evidence = ", ".join(shared) if shared else "the overall pattern"
    rule = scar.linked_rule or "no rule"
    return (
        f"SCAR WARNING {scar.scar_id} ({rule}, {scar.severity}): this spec resembles "
        f"{scar.failure_taxonomy}/{scar.failure_subtype} — shares {evidence} with "
        f"{scar.context_vector}, which cost {scar.production_impact} "
        f"(similarity {similarity:.2f} at radius {scar.fipi_deflection_radius:.2f}: "
        f"score {score:.2f}). Fix: {fix}"
    )


def scar_warnings(
    answers: Mapping[str, Any],
    *,
    ledger: Path | None = None,
    scars: Sequence[Scar] | None = None,
    threshold: float = THRESHOLD,
) -> list[ScarWarning]:
    """Every eligible scar the answers resemble, strongest first.

    Reads (and verifies) the shared ledger unless ``scars`` is given; a tampered ledger raises
    ``LedgerTamperedError`` rather than silently warning about nothing.
    """
    if scars is None:
        if ledger is None:
            from architect_k import SCAR_LEDGER_DIR

            ledger = SCAR_LEDGER_DIR / "scars.jsonl"
        scars = list(current(load(ledger)).values())
    context = answers_context(answers)
    warnings: list[ScarWarning] = []
    for match in rank(context, scars):
        radius = match.scar.fipi_deflection_radius
        score = match.similarity * radius
        if radius <= RADIUS_FLOOR or score < threshold:
            continue
        shared = _shared_tokens(context, match.scar)
        warnings.append(
            ScarWarning(
                scar_id=match.scar.scar_id,
                rule=match.scar.linked_rule,
                similarity=round(match.similarity, 4),
                radius=radius,
                score=round(score, 4),
                message=_message(match.scar, match.similarity, score, shared),
            )
        )
    return sorted(warnings, key=lambda warning: (-warning.score, warning.scar_id))

"""Reflection (docs/architect-k.md §3.6): turn monitoring and CI failures into scars.

Inputs are PSI monitor reports (``{"verdict": "stable|warn|alert", "max_psi": x,
"features": {...}}``) and CI logs (plain text). Each failure found is classified into a failure
class (``failure_taxonomy``, docs/architect-k.md §3.2). A failure whose class already has a
scar (in the shared ledger or the repository's local one) reinforces the closest such scar: a
new local entry supersedes it with ``fipi_deflection_radius`` raised by :data:`REINFORCEMENT`
(at most 1.0). A failure with no scar yet is minted as a new local scar ``SCA-Lnnnn``. The
shared ledger is never written here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from architect_k.fsutil import write_atomic
from architect_k.ledger.chain import Scar, current, load, mint, parse_json, revise
from architect_k.ledger.debride import candidates
from architect_k.ledger.errors import LedgerError
from architect_k.ledger.schema import TEXT_MAX, format_timestamp
from architect_k.ledger.vsa import encode, similarity

#: A known failure raises its scar's deflection radius by this much (docs/architect-k.md §3.6).
REINFORCEMENT = 0.05
LOCAL_LEDGER = "scar_ledger.local.jsonl"
REPORT_NAME = "nitinol_reflection_report.json"
UNCLASSIFIED = "Unclassified_Failure"
_EVIDENCE_MAX = 200


class ReflectInputError(LedgerError):
    """A PSI report or CI log that cannot be read or does not have the expected shape."""


@dataclass(frozen=True)
class FailureClass:
    """A failure class of the taxonomy and the scar fields a first occurrence is minted with."""

    taxonomy: str
    subtype: str
    context: str
    severity: str
    radius: float
    ttl_days: int
    rule: str | None
    immune_response: str


@dataclass(frozen=True)
class Observation:
    """One failure found in one input file."""

    source: str
    kind: str
    failure: FailureClass
    evidence: str


MODEL_DRIFT = FailureClass(
    "Model_Drift",
    "Covariate_Shift_PSI_Alert",
    "inference→psi_monitor→psi_alert",
    "P0",
    0.92,
    730,
    "R11",
    "RULE_R11_ENFORCE: Page on-call on PSI > 0.2 and retrain on the drifted window",
)

# Order matters only for the report; every class found in a log is recorded once per log.
_SIGNATURES: tuple[tuple[re.Pattern[str], FailureClass], ...] = (
    (
        re.compile(r"CUDA out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED"),
        FailureClass(
            "OOM_Error",
            "CUDA_Out_Of_Memory",
            "pytorch→cuda→out_of_memory",
            "P1",
            0.78,
            365,
            "R7",
            "RULE_R7_ENFORCE: Profile CUDA memory and assert the effective batch size before "
            "training",
        ),
    ),
    (
        re.compile(
            r"Required test coverage of [\d.]+% not reached"
            r"|Coverage failure: total of [\d.]+ is less than fail-under=[\d.]+"
        ),
        FailureClass(
            "Untested_Deployment",
            "Coverage_Below_Threshold",
            "ci→pytest→coverage_below_threshold→deploy",
            "P0",
            0.90,
            730,
            "R1",
            "RULE_R1_ENFORCE: Block the deploy job until coverage reaches the gate",
        ),
    ),
    (
        re.compile(r"pandera\.errors\.SchemaErrors?\b|\bSchemaErrors?: "),
        FailureClass(
            "Schema_Violation",
            "Pandera_Schema_Error",
            "pandas→pandera→schema_error→fit",
            "P1",
            0.80,
            730,
            "R3",
            "RULE_R3_ENFORCE: Fix the data or the contract; never train past a failed schema",
        ),
    ),
    (
        re.compile(r"ResolutionImpossible|conflicting dependencies|No matching distribution found"),
        FailureClass(
            "Dependency_Drift",
            "Dependency_Resolution_Failure",
            "pip→dependency_resolution→resolution_impossible→ci",
            "P2",
            0.72,
            365,
            "R12",
            "RULE_R12_ENFORCE: Regenerate requirements.lock with exact == pins and install "
            "only from it",
        ),
    ),
    (
        re.compile(r"exceeded its progress deadline|ProgressDeadlineExceeded"),
        FailureClass(
            "Deployment_Blackout",
            "Rollout_Progress_Deadline_Exceeded",
            "kubernetes→deployment→rollout→progress_deadline_exceeded",
            "P0",
            0.86,
            730,
            "R6",
            "RULE_R6_ENFORCE: Roll back to the previous ReplicaSet; keep maxUnavailable: 0",
        ),
    ),
    (
        re.compile(r"does not have a deterministic implementation"),
        FailureClass(
            "Reproducibility_Failure",
            "Nondeterministic_Operation",
            "pytorch→use_deterministic_algorithms→nondeterministic_op",
            "P2",
            0.72,
            365,
            "R8",
            "RULE_R8_ENFORCE: Replace the nondeterministic op or record an approved exception",
        ),
    ),
    (
        re.compile(r"leaks found: [1-9]|Potential secrets about to be committed"),
        FailureClass(
            "Credential_Exposure",
            "Secret_Detected_In_CI",
            "ci→secret_scan→credential_literal",
            "P0",
            0.95,
            730,
            "R2",
            "RULE_R2_ENFORCE: Redact the literal, rotate the credential, reference a Secret",
        ),
    ),
    (
        re.compile(
            r"model[_ ]card\S*\s+(?:is\s+)?(?:missing|not found|absent)"
            r"|No such file or directory: '[^']*model_card",
            re.IGNORECASE,
        ),
        FailureClass(
            "Audit_Failure",
            "Model_Card_Missing",
            "ci→model_registry_push→no_model_card",
            "P1",
            0.75,
            730,
            "R10",
            "RULE_R10_ENFORCE: Generate the model card before every registry push",
        ),
    ),
)
_EXCEPTION = re.compile(
    r"^\s*(?:E\s+)?(?:[A-Za-z_]\w*\.)*([A-Za-z_]\w*(?:Error|Exception))\b", re.MULTILINE
)


def _evidence(text: str, start: int) -> str:
    begin = text.rfind("\n", 0, start) + 1
    end = text.find("\n", start)
    line = text[begin : end if end >= 0 else len(text)].strip()
    return line[:_EVIDENCE_MAX]


def _unclassified(name: str) -> FailureClass:
    return FailureClass(
        UNCLASSIFIED,
        name,
        f"ci→python_exception→{name}",
        "P2",
        0.50,
        365,
        None,
        f"NO_RULE_YET: classify {name} into the failure taxonomy and link the rule that "
        "prevents it",
    )


def classify_log(text: str, source: str) -> list[Observation]:
    """Every known failure class found in a CI log; if none, its first Python exception."""
    found: list[Observation] = []
    for pattern, failure in _SIGNATURES:
        hit = pattern.search(text)
        if hit is not None:
            found.append(Observation(source, "ci_log", failure, _evidence(text, hit.start())))
    if not found:
        hit = _EXCEPTION.search(text)
        if hit is not None:
            failure = _unclassified(hit.group(1))
            found.append(Observation(source, "ci_log", failure, _evidence(text, hit.start())))
    return found


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def parse_psi_report(data: object, source: str) -> tuple[str, float, dict[str, float]]:
    """Validate a PSI report; returns (verdict, max_psi, per-feature PSI).

    Per-feature values may be numbers or objects with a numeric ``psi``.
    """
    if not isinstance(data, Mapping):
        raise ReflectInputError(f"{source}: a PSI report must be a JSON object")
    verdict = data.get("verdict")
    if verdict not in {"stable", "warn", "alert"}:
        raise ReflectInputError(
            f"{source}: verdict must be 'stable', 'warn' or 'alert', got {verdict!r}"
        )
    max_psi = _number(data.get("max_psi"))
    if max_psi is None or max_psi < 0:
        raise ReflectInputError(f"{source}: max_psi must be a non-negative number")
    raw_features = data.get("features", {})
    if not isinstance(raw_features, Mapping):
        raise ReflectInputError(f"{source}: features must be an object")
    features: dict[str, float] = {}
    for name, value in raw_features.items():
        psi = _number(value.get("psi") if isinstance(value, Mapping) else value)
        if psi is None:
            raise ReflectInputError(f"{source}: feature {name!r} has no numeric PSI")
        features[str(name)] = psi
    return str(verdict), max_psi, features


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ReflectInputError(f"{path}: cannot read ({error.strerror})") from error


def _psi_observation(path: Path) -> tuple[str, Observation | None]:
    try:
        data = parse_json(_read_text(path))
    except ValueError as error:
        raise ReflectInputError(f"{path}: not valid JSON ({error})") from error
    verdict, max_psi, features = parse_psi_report(data, str(path))
    if verdict != "alert":
        return verdict, None
    top = sorted(features.items(), key=lambda item: (-item[1], item[0]))[:3]
    drifted = ", ".join(f"{name}={psi:.3f}" for name, psi in top) or "not listed"
    evidence = f"PSI verdict alert, max_psi {max_psi:.3f}; top features: {drifted}"
    return verdict, Observation(str(path), "psi", MODEL_DRIFT, evidence[:_EVIDENCE_MAX])


def _known_scar(failure: FailureClass, live: Mapping[str, Scar]) -> Scar | None:
    pool = [
        scar
        for scar in live.values()
        if scar.failure_taxonomy == failure.taxonomy
        and (failure.taxonomy != UNCLASSIFIED or scar.failure_subtype == failure.subtype)
    ]
    if not pool:
        return None
    query = encode(failure.context)
    return min(
        pool, key=lambda scar: (-similarity(query, encode(scar.context_vector)), scar.scar_id)
    )


def _new_scar_fields(observation: Observation) -> dict[str, Any]:
    failure = observation.failure
    impact = f"{observation.kind} {Path(observation.source).name}: {observation.evidence}"
    return {
        "failure_taxonomy": failure.taxonomy,
        "failure_subtype": failure.subtype,
        "context_vector": failure.context,
        "severity": failure.severity,
        "production_impact": impact[:TEXT_MAX],
        "immune_response": failure.immune_response,
        "fipi_deflection_radius": failure.radius,
        "debridement_ttl_days": failure.ttl_days,
        "linked_rule": failure.rule,
    }


def _reinforced(scar: Scar) -> dict[str, Any]:
    return {
        "fipi_deflection_radius": min(1.0, round(scar.fipi_deflection_radius + REINFORCEMENT, 4))
    }


def reflect(
    repo: Path,
    *,
    psi_reports: Sequence[Path] = (),
    ci_logs: Sequence[Path] = (),
    ledger: Path,
    local: Path | None = None,
    report: Path | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Classify the inputs, write scars into the local ledger, and write the report.

    Every input is read and validated before anything is written, so bad input
    (``ReflectInputError``) or a tampered ledger (``LedgerTamperedError``) changes nothing.
    Returns the report that was written.
    """
    if not repo.is_dir():
        raise ReflectInputError(f"{repo}: not a directory")
    if not psi_reports and not ci_logs:
        raise ReflectInputError("nothing to reflect on: pass at least one PSI report or CI log")
    local_path = local if local is not None else repo / LOCAL_LEDGER
    report_path = report if report is not None else repo / REPORT_NAME
    moment = now if now is not None else datetime.now(UTC)

    observations: list[Observation] = []
    quiet: list[dict[str, str]] = []
    for path in psi_reports:
        verdict, observation = _psi_observation(path)
        if observation is None:
            quiet.append({"source": str(path), "kind": "psi", "verdict": verdict})
        else:
            observations.append(observation)
    for path in ci_logs:
        found = classify_log(_read_text(path), str(path))
        observations.extend(found)
        if not found:
            quiet.append({"source": str(path), "kind": "ci_log", "verdict": "no failure found"})

    base = load(ledger)
    load(local_path, base=base, missing_ok=True)

    records: list[dict[str, Any]] = []
    for observation in observations:
        local_entries = load(local_path, base=base, missing_ok=True)
        live = {**current(base), **current(local_entries)}
        known = _known_scar(observation.failure, live)
        record: dict[str, Any] = {
            "source": observation.source,
            "kind": observation.kind,
            "failure_taxonomy": observation.failure.taxonomy,
            "failure_subtype": observation.failure.subtype,
            "evidence": observation.evidence,
        }
        if known is None:
            scar = mint(
                local_path,
                _new_scar_fields(observation),
                prefix="SCA-L",
                reserved=base,
                now=moment,
            )
            record.update(
                action="minted",
                scar_id=scar.scar_id,
                linked_rule=scar.linked_rule,
                radius_before=None,
                radius_after=scar.fipi_deflection_radius,
                entry_hash=scar.entry_hash,
            )
        else:
            before, after = revise(local_path, known.scar_id, _reinforced, base=base, now=moment)
            record.update(
                action="reinforced",
                scar_id=after.scar_id,
                linked_rule=after.linked_rule,
                radius_before=before.fipi_deflection_radius,
                radius_after=after.fipi_deflection_radius,
                entry_hash=after.entry_hash,
            )
        records.append(record)

    local_entries = load(local_path, base=base, missing_ok=True)
    payload: dict[str, Any] = {
        "generated_utc": format_timestamp(moment),
        "repo": str(repo),
        "ledger": str(ledger),
        "local_ledger": str(local_path),
        "local_ledger_head": local_entries[-1].entry_hash if local_entries else "0" * 64,
        "observations": records,
        "quiet_inputs": quiet,
        "minted": [r["scar_id"] for r in records if r["action"] == "minted"],
        "reinforced": [r["scar_id"] for r in records if r["action"] == "reinforced"],
        "debridement_candidates": [scar.scar_id for scar in candidates(local_entries, moment)],
    }
    write_atomic(report_path, json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return payload

"""Renders an :class:`AuditResult` as human text, JSON or SARIF 2.1.0."""

from __future__ import annotations

import hashlib
import json
from functools import cache
from typing import Any

from architect_k import SCAR_LEDGER_DIR, __version__
from architect_k.audit.model import AuditResult, Finding, Rule
from architect_k.ledger.scar import Scar, read_current

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFO_URI = "https://github.com/architect-k/architect-k"

# ANSI SGR codes for the text report on a terminal.
_RED, _YELLOW, _GREEN, _BOLD, _DIM, _RESET = (
    "\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[2m", "\033[0m"
)


def to_json(result: AuditResult) -> str:
    """``{"findings": [...], "summary": {...}}`` with the frozen field names."""
    payload: dict[str, Any] = {
        "findings": [f.to_json() for f in result.findings],
        "summary": result.summary(),
    }
    if result.skipped:
        payload["skipped"] = [{"path": s.path, "reason": s.reason} for s in result.skipped]
    if result.fixes:
        payload["fixes"] = [
            {"path": fx.path, "line": fx.line, "change": fx.description} for fx in result.fixes
        ]
    return json.dumps(payload, indent=2) + "\n"


def to_text(result: AuditResult, *, colour: bool = False) -> str:
    """Grouped by rule: verdicts with locations, then the remediation and the scar behind it.

    With `colour`, ANSI colour marks blocking rules red, warnings yellow and the verdict line;
    the CLI asks for it only when stdout is a terminal, so piped output stays plain.
    """

    def paint(text: str, *codes: str) -> str:
        return "".join(codes) + text + _RESET if colour else text

    lines: list[str] = []
    by_rule: dict[str, list[Finding]] = {}
    for f in result.findings:
        by_rule.setdefault(f.rule.id, []).append(f)
    for rule in result.rules:
        group = by_rule.get(rule.id)
        if not group:
            continue
        lines.append(
            paint(f"{rule.id} {rule.action} [{rule.severity}]", _BOLD,
                  _RED if rule.blocking else _YELLOW)
            + f" {rule.title} " + paint(f"-- {rule.evidence}: {rule.origin_summary}", _DIM)
        )
        for f in group:
            lines.append(f"  {paint(f'{f.path}:{f.line}', _BOLD)}: {f.verdict}")
        lines.append(f"  fix: {rule.remediation}")
        lines.append("")
    for fx in result.fixes:
        lines.append(f"fixed {fx.path}:{fx.line}: {fx.description}")
    if result.fixes:
        lines.append("")
    lines.extend(_skipped_text(result))
    s = result.summary()
    verdict = paint("PASS", _BOLD, _GREEN) if s["passed"] else paint("FAIL", _BOLD, _RED)
    lines.append(
        f"{verdict}: {s['blocking']} blocking, {s['warnings']} warning(s), "
        f"{s['suppressed']} suppressed by exception tags; {s['files_scanned']} files, "
        f"rules {','.join(s['rules_run'])}, {s['duration_s']:.2f}s"
    )
    return "\n".join(lines) + "\n"


def _skipped_text(result: AuditResult) -> list[str]:
    """Files not read in full, one line each, so a reader knows what the verdict does not cover."""
    by_kind: dict[str, list[str]] = {}
    for s in result.skipped:
        by_kind.setdefault(s.kind, []).append(s.path)
    out = []
    for kind, paths in sorted(by_kind.items()):
        shown = ", ".join(paths[:3]) + (f" and {len(paths) - 3} more" if len(paths) > 3 else "")
        out.append(f"not read in full, {kind}: {len(paths)} ({shown})")
    if out:
        out.append("  (every path and its reason: --format json or sarif)")
        out.append("")
    return out


def _camel(title: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in title.replace("-", " ").split() if w.isalnum())


@cache
def _scars() -> dict[str, Scar]:
    """The live entries of the Scar Ledger, by id (the file rules.yaml's scars refer to)."""
    return read_current(SCAR_LEDGER_DIR / "scars.jsonl")


def rule_help(rule: Rule) -> dict[str, str]:
    """SARIF `help` for a rule: the fix, then the failure behind it as the Scar Ledger records it.

    GitHub code scanning shows the markdown beside each alert, so a reviewer reads why the rule
    exists (the incident and its impact) next to what to change.
    """
    exception = f"Exception: {rule.exception_description}"
    if rule.exception_tag:
        exception = f"Exception (`{rule.exception_tag}`): {rule.exception_description}"
    scar = _scars().get(rule.scar) if rule.scar else None
    if scar is None:
        why = f"Motivated by the {rule.evidence}: {rule.origin_summary}"
        why_md = f"**Why:** {why}"
    else:
        why = (
            f"Motivated by scar {scar.scar_id} ({scar.severity}, {scar.timestamp_utc[:10]}): "
            f"{rule.origin_summary} Failure: {scar.failure_taxonomy} / {scar.failure_subtype}; "
            f"impact: {scar.production_impact}. Immune response: {scar.immune_response}"
        )
        why_md = "\n".join(
            [
                f"**Why: scar {scar.scar_id}** ({scar.severity}, recorded "
                f"{scar.timestamp_utc[:10]}). {rule.origin_summary}",
                "",
                f"- failure: `{scar.failure_taxonomy}` / `{scar.failure_subtype}`",
                f"- production impact: `{scar.production_impact}`",
                f"- immune response: {scar.immune_response}",
            ]
        )
    return {
        "text": f"{rule.remediation} {why} {exception}",
        "markdown": f"**Fix:** {rule.remediation}\n\n{why_md}\n\n{exception}",
    }


def to_sarif(result: AuditResult) -> str:
    """SARIF 2.1.0 accepted by GitHub code scanning; rule metadata comes from the registry."""
    rules_meta = []
    index = {}
    for i, rule in enumerate(result.rules):
        index[rule.id] = i
        level = "error" if rule.blocking else "warning"
        props: dict[str, Any] = {
            "tags": ["ml", "architect-k", rule.origin_kind],
            "action": rule.action,
            "severity": rule.severity,
            "origin": rule.origin_summary,
        }
        if rule.scar:
            props["scar"] = rule.scar
        if rule.exception_tag:
            props["exceptionTag"] = rule.exception_tag
        rules_meta.append(
            {
                "id": rule.id,
                "name": _camel(rule.title) or rule.id,
                "shortDescription": {"text": rule.title},
                "fullDescription": {"text": f"{rule.trigger} Condition: {rule.condition}."},
                "help": rule_help(rule),
                "defaultConfiguration": {"level": level},
                "properties": props,
            }
        )
    results = []
    for f in result.findings:
        fingerprint = hashlib.sha256(f"{f.rule.id}|{f.path}|{f.verdict}".encode()).hexdigest()
        results.append(
            {
                "ruleId": f.rule.id,
                "ruleIndex": index[f.rule.id],
                "level": "error" if f.rule.blocking else "warning",
                "message": {"text": f.message},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": f.path, "uriBaseId": "%SRCROOT%"},
                            "region": {"startLine": max(1, f.line)},
                        }
                    }
                ],
                "partialFingerprints": {"primaryLocationLineHash": fingerprint},
            }
        )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "architect-k",
                        "version": __version__,
                        "semanticVersion": __version__,
                        "informationUri": INFO_URI,
                        "rules": rules_meta,
                    }
                },
                "automationDetails": {"id": "architect-k/audit/"},
                "invocations": [
                    {
                        "executionSuccessful": True,
                        "toolExecutionNotifications": [
                            {
                                "level": "note",
                                "message": {"text": f"not read in full: {s.reason}"},
                                "locations": [
                                    {
                                        "physicalLocation": {
                                            "artifactLocation": {
                                                "uri": s.path,
                                                "uriBaseId": "%SRCROOT%",
                                            }
                                        }
                                    }
                                ],
                            }
                            for s in result.skipped
                        ],
                    }
                ],
                "columnKind": "utf16CodeUnits",
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


RENDERERS = {"text": to_text, "json": to_json, "sarif": to_sarif}

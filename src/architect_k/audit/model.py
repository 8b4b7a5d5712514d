"""Plain data types shared by the audit engine, the rule checks and the reporters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

#: What a rule does when it fires, its origin, and whether it fails the audit: the closed
#: vocabularies of scar_ledger/rules.yaml (rules.schema.json states the same enums).
Action = Literal["HALT", "INSERT", "APPEND", "REJECT", "WARN"]
OriginKind = Literal["scar", "ethics", "governance"]
Severity = Literal["blocking", "warning"]


@dataclass(frozen=True)
class Rule:
    """One entry of ``scar_ledger/rules.yaml``; every user-facing fact about a rule lives here."""

    id: str
    title: str
    trigger: str
    action: Action
    condition: str
    origin_kind: OriginKind
    scar: str | None
    origin_summary: str
    exception_tag: str | None
    exception_description: str
    severity: Severity
    remediation: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def blocking(self) -> bool:
        """True when a finding of this rule fails the audit."""
        return self.severity == "blocking"

    @property
    def evidence(self) -> str:
        """The scar (or invariant) that motivates the rule, for messages."""
        if self.scar:
            return f"scar {self.scar}"
        return f"{self.origin_kind} invariant"


@dataclass(frozen=True)
class Hit:
    """What a check reports: where, and the specific verdict for this occurrence."""

    path: str
    line: int
    verdict: str


@dataclass(frozen=True)
class Finding:
    """A hit enriched with its rule's registry facts; what the reporters print."""

    rule: Rule
    path: str
    line: int
    verdict: str

    @property
    def severity(self) -> str:
        """``blocking`` or ``warning``, from the registry."""
        return self.rule.severity

    @property
    def message(self) -> str:
        """Verdict first, then the evidence, then the fix (the Architect-K voice)."""
        r = self.rule
        return f"{r.action}: {self.verdict}. {r.id} ({r.evidence}). Fix: {r.remediation}"

    def to_json(self) -> dict[str, Any]:
        """The JSON shape promised to users; field names are frozen."""
        return {
            "rule": self.rule.id,
            "severity": self.severity,
            "path": self.path,
            "line": self.line,
            "message": self.message,
            "scar": self.rule.scar,
        }


@dataclass(frozen=True)
class Suppressed:
    """A hit silenced by its rule's exception tag present in the file."""

    rule_id: str
    path: str
    line: int
    tag: str


@dataclass(frozen=True)
class Skipped:
    """A file (or folder, ending in ``/``) the audit did not read in full, and why."""

    path: str
    kind: str  # the short reason the text report groups by
    detail: str

    @property
    def reason(self) -> str:
        """Kind and detail in one phrase."""
        return f"{self.kind}: {self.detail}"


@dataclass
class Fix:
    """One change made by ``--fix``."""

    path: str
    line: int
    description: str


@dataclass
class AuditResult:
    """The outcome of one audit run."""

    root: str
    rules: list[Rule]
    findings: list[Finding]
    suppressed: list[Suppressed]
    files_scanned: int
    duration_s: float
    fixes: list[Fix] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        """Findings that fail the audit."""
        return [f for f in self.findings if f.rule.blocking]

    @property
    def exit_code(self) -> int:
        """0 when nothing blocks, 1 otherwise."""
        return 1 if self.blocking else 0

    def summary(self) -> dict[str, Any]:
        """Counts for the JSON ``summary`` object."""
        by_rule: dict[str, int] = {}
        for f in self.findings:
            by_rule[f.rule.id] = by_rule.get(f.rule.id, 0) + 1
        return {
            "files_scanned": self.files_scanned,
            "rules_run": [r.id for r in self.rules],
            "blocking": len(self.blocking),
            "warnings": len(self.findings) - len(self.blocking),
            "suppressed": len(self.suppressed),
            "skipped": len(self.skipped),
            "by_rule": by_rule,
            "passed": self.exit_code == 0,
            "duration_s": round(self.duration_s, 3),
        }

"""Debridement: prune weak, expired, rule-less scars (docs/architect-k.md §3.7).

A scar is pruned when all three hold for its latest entry: ``timestamp_utc`` (when it was
recorded or last reinforced) plus ``debridement_ttl_days`` lies before now, its
``fipi_deflection_radius`` is below :data:`RADIUS_CEILING`, and no rule is linked to it. Every
entry of a pruned scar goes; the chain is re-sealed over what remains and written atomically
(see :func:`architect_k.ledger.chain.rewrite`), and the report names every pruned entry by its
old ``entry_hash`` so the removal is on record outside the new chain.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from architect_k.ledger.chain import GENESIS, Scar, current, rewrite
from architect_k.ledger.schema import format_timestamp

#: Only scars with a deflection radius under this may be pruned (docs/architect-k.md §3.7).
RADIUS_CEILING = 0.20


def expires_at(scar: Scar) -> datetime:
    """When a scar's time-to-live runs out."""
    return scar.recorded_at + timedelta(days=scar.debridement_ttl_days)


def is_debridable(scar: Scar, now: datetime) -> bool:
    """True when ``scar`` (a scar's latest entry) is expired, weak and linked to no rule."""
    return (
        scar.linked_rule is None
        and scar.fipi_deflection_radius < RADIUS_CEILING
        and expires_at(scar) < now
    )


def candidates(entries: Sequence[Scar], now: datetime) -> list[Scar]:
    """The latest entries of the scars debridement would prune."""
    return [scar for scar in current(entries).values() if is_debridable(scar, now)]


@dataclass(frozen=True)
class DebridementReport:
    """What a debridement run pruned and how the chain changed."""

    ledger: str
    now: str
    dry_run: bool
    pruned: list[dict[str, Any]] = field(default_factory=list)
    entries_before: int = 0
    entries_after: int = 0
    head_before: str = ""
    head_after: str = ""

    @property
    def rewritten(self) -> bool:
        """True when the ledger file was replaced."""
        return bool(self.pruned) and not self.dry_run

    def as_json(self) -> dict[str, Any]:
        """The report as a JSON-ready mapping."""
        return {
            "ledger": self.ledger,
            "now": self.now,
            "dry_run": self.dry_run,
            "rewritten": self.rewritten,
            "entries_before": self.entries_before,
            "entries_after": self.entries_after,
            "head_before": self.head_before,
            "head_after": self.head_after,
            "pruned": self.pruned,
        }


def debride(
    path: Path, *, now: datetime | None = None, dry_run: bool = False, base: Sequence[Scar] = ()
) -> DebridementReport:
    """Prune debridable scars from the ledger at ``path`` under its lock.

    Raises ``LedgerTamperedError`` (nothing is written) when the ledger does not verify.
    """
    moment = now if now is not None else datetime.now(UTC)
    doomed: set[str] = set()

    def choose(entries: list[Scar]) -> list[Scar]:
        doomed.update(scar.scar_id for scar in candidates(entries, moment))
        return [scar for scar in entries if scar.scar_id not in doomed]

    old, new = rewrite(path, choose, base=base, dry_run=dry_run)
    live = current(old)
    pruned = [
        {
            "scar_id": scar_id,
            "failure_taxonomy": live[scar_id].failure_taxonomy,
            "fipi_deflection_radius": live[scar_id].fipi_deflection_radius,
            "expired_utc": format_timestamp(expires_at(live[scar_id])),
            "entries": [
                {"line": scar.line, "entry_hash": scar.entry_hash}
                for scar in old
                if scar.scar_id == scar_id
            ],
        }
        for scar_id in live
        if scar_id in doomed
    ]
    return DebridementReport(
        ledger=str(path),
        now=format_timestamp(moment),
        dry_run=dry_run,
        pruned=pruned,
        entries_before=len(old),
        entries_after=len(new),
        head_before=old[-1].entry_hash if old else GENESIS,
        # In a dry run this is the head the rewrite would produce.
        head_after=new[-1].entry_hash if new else GENESIS,
    )

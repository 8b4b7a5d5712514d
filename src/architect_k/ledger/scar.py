"""One scar in memory, in on-disk field order; the standard library only.

``architect-k audit`` quotes the shipped scars in its SARIF help and must run where only PyYAML
is installed, so this record, the field order and the timestamp format live here, apart from
the validating model in :mod:`architect_k.ledger.schema` (which needs pydantic).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


# kw_only lets the optional `supersedes` sit at its on-disk place, before the chain fields.
@dataclass(frozen=True, kw_only=True)
class Scar:
    """One ledger entry. ``line`` is where it was read from (0 when not read from a file).

    The attributes are the entry's fields in on-disk order (docs/architect-k.md §3.2): the
    scar's own fields, then the chain fields.
    """

    scar_id: str
    timestamp_utc: str
    failure_taxonomy: str
    failure_subtype: str
    context_vector: str
    severity: str
    production_impact: str
    martensite_phase_encoding: str
    immune_response: str
    fipi_deflection_radius: float
    debridement_ttl_days: int
    linked_rule: str | None
    supersedes: str | None = None
    prev_hash: str
    entry_hash: str
    line: int = field(default=0, compare=False)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], line: int = 0) -> Scar:
        """Build from a schema-valid mapping (validate first; this does not)."""
        values = ordered(data)
        values["fipi_deflection_radius"] = float(values["fipi_deflection_radius"])
        values["debridement_ttl_days"] = int(values["debridement_ttl_days"])
        return cls(**values, line=line)

    def fields(self) -> dict[str, Any]:
        """The entry as written on disk, in field order (``supersedes`` only when set)."""
        data = {name: getattr(self, name) for name in FIELD_ORDER}
        if self.supersedes is None:
            del data["supersedes"]
        return data

    def unsealed(self) -> dict[str, Any]:
        """The caller-supplied fields only: what ``seal`` needs to write this scar again."""
        return {k: v for k, v in self.fields().items() if k not in SEALED_FIELDS}

    @property
    def recorded_at(self) -> datetime:
        """``timestamp_utc`` as an aware datetime."""
        return parse_timestamp(self.timestamp_utc)


#: Field order on disk: the attributes of :class:`Scar`, which the schema's model repeats.
FIELD_ORDER: tuple[str, ...] = tuple(f.name for f in fields(Scar) if f.name != "line")
OPTIONAL_FIELDS = frozenset({"supersedes"})
REQUIRED_FIELDS = tuple(name for name in FIELD_ORDER if name not in OPTIONAL_FIELDS)
#: Fields the ledger computes on append; a caller never supplies them.
SEALED_FIELDS = frozenset({"martensite_phase_encoding", "prev_hash", "entry_hash"})


def ordered(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's known fields in on-disk order (:data:`FIELD_ORDER`); other keys are dropped."""
    return {name: entry[name] for name in FIELD_ORDER if name in entry}


def parse_timestamp(value: str) -> datetime:
    """Parse a ``timestamp_utc`` value; raises ``ValueError`` on an impossible date.

    The schema's pattern cannot see that 2025-02-30 does not exist; the calendar can.
    """
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as a ``timestamp_utc`` value (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def current(entries: Sequence[Scar]) -> dict[str, Scar]:
    """The live state of every scar: its latest entry, keyed by id in first-seen order."""
    live: dict[str, Scar] = {}
    for scar in entries:
        live[scar.scar_id] = scar
    return live


def read_current(path: Path) -> dict[str, Scar]:
    """The live scars of a ledger this package ships, read without verifying the chain.

    For the audit's SARIF help, which runs where pydantic may be absent; the shipped ledger is
    verified by tests/test_ledger_schema.py, and ``architect-k ledger verify`` checks any other.
    """
    lines = path.read_text(encoding="utf-8").splitlines()
    return current([Scar.from_dict(json.loads(text), line=n) for n, text in enumerate(lines, 1)])

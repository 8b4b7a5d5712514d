"""Field checks for Scar Ledger entries, mirroring ``scar_ledger/scars.schema.json``.

The JSON Schema is the published contract; this module is the same contract in plain Python,
because the ledger is read inside copier's own interpreter where ``jsonschema`` may be absent.
The test suite feeds both the same good and bad entries and requires the same verdicts, and
checks that every pattern here is the pattern in the schema file, character for character.
One check goes further than the schema can: a timestamp must name a real calendar date.

Patterns end in ``$(?!\\n)``: JSON Schema patterns are ECMA-262, where ``$`` only matches at the
very end, but Python (and so ``jsonschema``) also lets ``$`` match before a final newline. The
negative look-ahead means the same thing in both dialects, so ``"R4\\n"`` is refused by both.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

SCAR_ID_PATTERN = r"^SCA-L?[0-9]{4,}$(?!\n)"
TIMESTAMP_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$(?!\n)"
)
TAXONOMY_PATTERN = r"^[A-Z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$(?!\n)"
SUBTYPE_PATTERN = r"^[A-Za-z0-9]+(_[A-Za-z0-9]+)*$(?!\n)"
CONTEXT_PATTERN = r"^[^\s→]+(→[^\s→]+)*$(?!\n)"
ENCODING_PATTERN = r"^hypervec_[0-9a-f]{16}$(?!\n)"
RULE_PATTERN = r"^R[1-9][0-9]*$(?!\n)"
HASH_PATTERN = r"^[0-9a-f]{64}$(?!\n)"
SEVERITIES = ("P0", "P1", "P2", "P3")
TEXT_MAX = 500

#: Field order on disk (docs/architect-k.md §3.2): the scar's own fields, then the chain fields.
FIELD_ORDER = (
    "scar_id",
    "timestamp_utc",
    "failure_taxonomy",
    "failure_subtype",
    "context_vector",
    "severity",
    "production_impact",
    "martensite_phase_encoding",
    "immune_response",
    "fipi_deflection_radius",
    "debridement_ttl_days",
    "linked_rule",
    "supersedes",
    "prev_hash",
    "entry_hash",
)
OPTIONAL_FIELDS = frozenset({"supersedes"})
REQUIRED_FIELDS = tuple(name for name in FIELD_ORDER if name not in OPTIONAL_FIELDS)
#: Fields the ledger computes on append; a caller never supplies them.
SEALED_FIELDS = frozenset({"martensite_phase_encoding", "prev_hash", "entry_hash"})

_PATTERNS: dict[str, str] = {
    "scar_id": SCAR_ID_PATTERN,
    "timestamp_utc": TIMESTAMP_PATTERN,
    "failure_taxonomy": TAXONOMY_PATTERN,
    "failure_subtype": SUBTYPE_PATTERN,
    "context_vector": CONTEXT_PATTERN,
    "martensite_phase_encoding": ENCODING_PATTERN,
    "linked_rule": RULE_PATTERN,
    "supersedes": HASH_PATTERN,
    "prev_hash": HASH_PATTERN,
    "entry_hash": HASH_PATTERN,
}
_FREE_TEXT = ("production_impact", "immune_response")


def pattern_for(field: str) -> str | None:
    """The schema pattern of a string field, or ``None`` for fields without one."""
    return _PATTERNS.get(field)


def _is_number(value: object) -> bool:
    # JSON Schema counts neither booleans nor non-finite floats as numbers a ledger may hold.
    return isinstance(value, int | float) and not isinstance(value, bool)


def _check_string(field: str, value: object, errors: list[str]) -> None:
    if not isinstance(value, str):
        errors.append(f"{field}: expected a string, got {type(value).__name__}")
        return
    if field in _FREE_TEXT:
        if not 1 <= len(value) <= TEXT_MAX:
            errors.append(f"{field}: must hold 1 to {TEXT_MAX} characters")
        return
    if field == "severity":
        if value not in SEVERITIES:
            errors.append(f"severity: {value!r} is not one of {', '.join(SEVERITIES)}")
        return
    pattern = _PATTERNS[field]
    if re.search(pattern, value) is None:
        errors.append(f"{field}: {value!r} does not match {pattern}")
    elif field == "timestamp_utc":
        try:
            parse_timestamp(value)
        except ValueError:
            errors.append(f"{field}: {value!r} is not a date on the calendar")


def validate_entry(entry: object, *, sealed: bool = True) -> list[str]:
    """Return every way ``entry`` breaks the scar schema (empty when it is valid).

    With ``sealed=False`` the computed fields (encoding, ``prev_hash``, ``entry_hash``) may be
    absent, which is the shape a caller hands to ``mint``.
    """
    if not isinstance(entry, Mapping):
        return [f"entry: expected a JSON object, got {type(entry).__name__}"]
    errors: list[str] = []
    unknown = sorted(str(key) for key in entry if key not in FIELD_ORDER)
    if unknown:
        errors.append(f"unknown field(s): {', '.join(unknown)}")
    for field in REQUIRED_FIELDS:
        if field not in entry and (sealed or field not in SEALED_FIELDS):
            errors.append(f"{field}: required field is missing")
    for field in FIELD_ORDER:
        if field not in entry:
            continue
        value = entry[field]
        if field == "fipi_deflection_radius":
            if not _is_number(value):
                errors.append(f"{field}: expected a number, got {type(value).__name__}")
            elif not 0 <= value <= 1:
                errors.append(f"{field}: {value} is outside [0, 1]")
        elif field == "debridement_ttl_days":
            is_integral = _is_number(value) and (
                isinstance(value, int) or (math.isfinite(value) and float(value).is_integer())
            )
            if not is_integral:
                errors.append(f"{field}: expected an integer, got {value!r}")
            elif value < 1:
                errors.append(f"{field}: {value} is below the minimum 1")
        elif field == "linked_rule" and value is None:
            continue
        else:
            _check_string(field, value, errors)
    return errors


def parse_timestamp(value: str) -> datetime:
    """Parse a ``timestamp_utc`` value; raises ``ValueError`` on an impossible date.

    The schema's pattern cannot see that 2025-02-30 does not exist; the calendar can.
    """
    return datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)


def format_timestamp(moment: datetime) -> str:
    """Format an aware datetime as a ``timestamp_utc`` value (UTC, whole seconds)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def ordered(entry: Mapping[str, Any]) -> dict[str, Any]:
    """The entry's known fields in on-disk order (:data:`FIELD_ORDER`); other keys are dropped."""
    return {field: entry[field] for field in FIELD_ORDER if field in entry}

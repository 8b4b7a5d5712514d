"""The Scar Ledger entry as a pydantic model, and the published JSON Schema generated from it.

``scar_ledger/scars.schema.json`` is written by ``python -m architect_k.ledger.schema --write``;
tests/test_ledger_schema.py fails when the committed file and the model disagree. The model
checks one thing the schema cannot: a timestamp must name a real calendar date.

Patterns end in ``$(?!\\n)``: JSON Schema patterns are ECMA-262, where ``$`` only matches at the
very end, but Python (and so ``jsonschema``) also lets ``$`` match before a final newline. The
negative look-ahead means the same thing in both dialects, so ``"R4\\n"`` is refused by both;
the model runs Python's ``re`` for the same reason.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic.json_schema import SkipJsonSchema
from pydantic_core import ErrorDetails

from architect_k import SCAR_LEDGER_DIR
from architect_k.ledger.scar import (
    FIELD_ORDER,
    OPTIONAL_FIELDS,
    REQUIRED_FIELDS,
    SEALED_FIELDS,
    format_timestamp,
    ordered,
    parse_timestamp,
)

__all__ = [
    "FIELD_ORDER",
    "OPTIONAL_FIELDS",
    "REQUIRED_FIELDS",
    "SCHEMA_FILE",
    "SEALED_FIELDS",
    "TEXT_MAX",
    "ScarEntry",
    "format_timestamp",
    "json_schema",
    "ordered",
    "parse_timestamp",
    "validate_entry",
]

SCHEMA_FILE = SCAR_LEDGER_DIR / "scars.schema.json"
TEXT_MAX = 500
_HASH = r"^[0-9a-f]{64}$(?!\n)"
Hash = Annotated[str, Field(pattern=_HASH)]
FreeText = Annotated[str, Field(min_length=1, max_length=TEXT_MAX)]


class ScarEntry(BaseModel):
    """One line of scar_ledger/scars.jsonl (or a repository's scar_ledger.local.jsonl).

    Entries are append-only and hash-chained: prev_hash is the entry_hash of the line before
    (64 zeros on line 1), entry_hash is the SHA-256 of the entry's canonical JSON (keys sorted,
    no spaces, UTF-8) without entry_hash. A later entry with the same scar_id must name the
    entry it replaces in supersedes; the last one is the scar's current state. Patterns end in
    $(?!\\n) so that ECMA-262 and Python regex engines agree that a trailing newline is not
    allowed.
    """

    # strict: JSON Schema neither reads "0.78" as a number nor true as an integer.
    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        frozen=True,
        regex_engine="python-re",
        title="Scar Ledger entry",
    )

    scar_id: str = Field(
        pattern=r"^SCA-L?[0-9]{4,}$(?!\n)",
        description="SCA-NNNN for the shared ledger, SCA-LNNNN for scars minted into a "
        "repository's local ledger.",
    )
    timestamp_utc: str = Field(
        pattern=r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
        r"T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]Z$(?!\n)",
        description="When the failure was recorded or last triggered (UTC, whole seconds).",
    )
    failure_taxonomy: str = Field(
        pattern=r"^[A-Z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$(?!\n)",
        description="Failure class (docs/architect-k.md §3.2), e.g. OOM_Error, Model_Drift.",
    )
    failure_subtype: str = Field(
        pattern=r"^[A-Za-z0-9]+(_[A-Za-z0-9]+)*$(?!\n)",
        description="Subtype within the class, e.g. Gradient_Accumulation_Misconfigured_Multi_GPU.",
    )
    context_vector: str = Field(
        pattern=r"^[^\s→]+(→[^\s→]+)*$(?!\n)",
        description="The failing context as tokens joined by the arrow U+2192; key=value tokens "
        "are graded partial matches.",
    )
    severity: Literal["P0", "P1", "P2", "P3"] = Field(description="P0 most severe.")
    production_impact: FreeText = Field(description="What the failure cost, with its metric.")
    martensite_phase_encoding: str = Field(
        pattern=r"^hypervec_[0-9a-f]{16}$(?!\n)",
        description="hypervec_ + the first 16 hex digits of the SHA-256 of the context's packed "
        "10,000-bit hypervector; computed, never hand-written.",
    )
    immune_response: FreeText = Field(
        description="The rule that prevents a recurrence, in RULE_Rn_ENFORCE: form where a rule "
        "exists."
    )
    fipi_deflection_radius: float = Field(
        ge=0,
        le=1,
        description="How strongly the scar deflects similar specs; only scars above 0.70 warn at "
        "render time.",
    )
    debridement_ttl_days: int = Field(
        ge=1,
        description="Days after timestamp_utc after which a weak, rule-less scar may be pruned.",
    )
    linked_rule: Annotated[str, Field(pattern=r"^R[1-9][0-9]*$(?!\n)")] | None = Field(
        description="Rule id in scar_ledger/rules.yaml, or null for a scar no rule enforces."
    )
    # Optional but never null: the published schema leaves the null branch out.
    supersedes: Hash | SkipJsonSchema[None] = Field(
        default=None,
        description="entry_hash of the entry this one replaces (same scar_id).",
    )
    prev_hash: Hash = Field(
        description="entry_hash of the previous line; 64 zeros on the first line."
    )
    entry_hash: Hash = Field(
        description="SHA-256 of this entry's canonical JSON without entry_hash."
    )

    @field_validator("debridement_ttl_days", mode="before")
    @classmethod
    def _integral_float(cls, value: Any) -> Any:
        # JSON Schema counts 730.0 as an integer; strict pydantic would not.
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value

    @field_validator("supersedes", mode="before")
    @classmethod
    def _not_null(cls, value: Any) -> Any:
        # Runs only on a value given: an absent `supersedes` keeps its default.
        if value is None:
            raise ValueError("give the replaced entry_hash or leave the field out, not null")
        return value

    @field_validator("timestamp_utc")
    @classmethod
    def _on_the_calendar(cls, value: str) -> str:
        try:
            parse_timestamp(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date on the calendar") from None
        return value


def json_schema() -> dict[str, Any]:
    """The published JSON Schema of a ledger entry, generated from :class:`ScarEntry`."""
    generated = ScarEntry.model_json_schema()
    for spec in generated["properties"].values():
        # Titles are pydantic's restatement of the field names; a default of null would
        # contradict the null the schema refuses.
        spec.pop("title", None)
        spec.pop("default", None)
    # The docstring's line breaks are source layout, not text; the head keys lead for readers.
    generated["description"] = " ".join(generated["description"].split())
    head = ("title", "description", "type", "additionalProperties", "required")
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://architect-k.dev/schemas/scar-ledger-entry.json",
        **{key: generated.pop(key) for key in head},
        **generated,
    }


def schema_text() -> str:
    """The schema file's exact text."""
    return json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n"


def _message(error: ErrorDetails) -> str:
    """One pydantic error in the ledger's words: ``field: what is wrong``."""
    where = ".".join(str(part) for part in error["loc"]) or "entry"
    value = error["input"]
    kind = error["type"]
    if kind == "missing":
        return f"{where}: required field is missing"
    if kind == "extra_forbidden":
        return f"unknown field: {where}"
    if kind == "string_pattern_mismatch":
        return f"{where}: {value!r} does not match {error['ctx']['pattern']}"
    if kind == "literal_error":
        return f"{where}: {value!r} is not one of {error['ctx']['expected'].replace(' or', ',')}"
    if kind in {"greater_than_equal", "less_than_equal"}:
        bound = error["ctx"].get("ge", error["ctx"].get("le"))
        return f"{where}: {value} is outside the bound {bound}"
    if kind in {"string_too_short", "string_too_long"}:
        return f"{where}: must hold 1 to {TEXT_MAX} characters"
    if kind == "value_error":
        return f"{where}: {error['ctx']['error']}"
    if kind == "model_type":
        return f"entry: expected a JSON object, got {type(value).__name__}"
    expected = {"string_type": "a string", "float_type": "a number", "int_type": "an integer"}
    return f"{where}: expected {expected.get(kind, error['msg'].lower())}, got {value!r}"


def validate_entry(entry: object, *, sealed: bool = True) -> list[str]:
    """Return every way ``entry`` breaks the scar schema (empty when it is valid).

    With ``sealed=False`` the computed fields (encoding, ``prev_hash``, ``entry_hash``) may be
    absent, which is the shape a caller hands to ``mint``.
    """
    try:
        ScarEntry.model_validate(entry)
    except ValidationError as error:
        return [
            _message(detail)
            for detail in error.errors(include_url=False)
            if sealed or not (detail["type"] == "missing" and detail["loc"][0] in SEALED_FIELDS)
        ]
    return []


def main(argv: Sequence[str] | None = None) -> int:
    """Write (``--write``) or check the schema file against the model; 1 when they differ."""
    parser = argparse.ArgumentParser(prog="python -m architect_k.ledger.schema")
    parser.add_argument("--write", action="store_true", help="rewrite the schema file")
    parser.add_argument("--path", type=Path, default=SCHEMA_FILE, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    text = schema_text()
    if args.write:
        args.path.write_text(text, encoding="utf-8")
        return 0
    if args.path.read_text(encoding="utf-8") != text:
        print(f"{args.path} is stale: run python -m architect_k.ledger.schema --write")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""docs/architect-k.md repeats only what a reader needs to find their way, and repeats it right.

The rules live in scar_ledger/rules.yaml and the scars in scar_ledger/scars.jsonl; the page's
indexes of them, its glossary of the ledger's fields and the thresholds it quotes are held to
those files and to the code here, so the page cannot drift from what it explains.
"""

from __future__ import annotations

import ast
import importlib
import json
import re

import yaml

from architect_k import REPO_ROOT, SCAR_LEDGER_DIR
from architect_k.ledger import chain, schema

PAGE = REPO_ROOT / "docs" / "architect-k.md"
HEADING = re.compile(r"^#{2,3} (\d+(?:\.\d+)?)\.? ", re.MULTILINE)
#: A constant the page quotes, spelled `architect_k.module.NAME = value`.
QUOTED_CONSTANT = re.compile(r"`(architect_k(?:\.\w+)+)\.([A-Z][A-Z0-9_]*) = ([^`]+)`")


def sections(text: str) -> dict[str, str]:
    """The page's numbered sections, {"3.2": body}; a section's body stops at the next heading."""
    marks = list(HEADING.finditer(text))
    ends = [mark.start() for mark in marks[1:]] + [len(text)]
    return {mark.group(1): text[mark.end() : end] for mark, end in zip(marks, ends, strict=True)}


def _rows(body: str, first: str) -> list[list[str]]:
    """The cells of each table row whose first cell matches ``first``."""
    cells = (
        [cell.strip() for cell in line.strip().strip("|").split("|")]
        for line in body.splitlines()
        if line.startswith("|")
    )
    return [row for row in cells if re.fullmatch(first, row[0])]


def _page() -> str:
    return PAGE.read_text(encoding="utf-8")


def test_the_rule_index_is_the_registry() -> None:
    registry = yaml.safe_load((SCAR_LEDGER_DIR / "rules.yaml").read_text(encoding="utf-8"))
    expected = [[rule["id"], rule["title"]] for rule in registry["rules"]]
    assert _rows(sections(_page())["2.1"], r"R\d+") == expected


def test_the_scar_index_is_the_shipped_ledger() -> None:
    live = chain.current(chain.load(SCAR_LEDGER_DIR / "scars.jsonl")).values()
    expected = [[s.scar_id, s.failure_taxonomy, s.linked_rule or "—"] for s in live]
    assert [row[:3] for row in _rows(sections(_page())["3.3"], r"SCA-L?\d+")] == expected


def test_the_glossary_defines_every_field_of_a_scar_in_file_order() -> None:
    properties = json.loads((SCAR_LEDGER_DIR / "scars.schema.json").read_text(encoding="utf-8"))
    defined = re.findall(r"^- `(\w+)`:", sections(_page())["3.2"], re.MULTILINE)
    assert set(defined) == set(properties["properties"])
    assert tuple(defined) == schema.FIELD_ORDER


def test_every_constant_the_page_quotes_is_the_codes() -> None:
    quoted = QUOTED_CONSTANT.findall(_page())
    assert len(quoted) >= 6, quoted  # the ledger's thresholds and M2's coverage floor
    for module, name, value in quoted:
        actual = getattr(importlib.import_module(module), name)
        assert actual == ast.literal_eval(value), f"{module}.{name} is {actual!r}, not {value}"


def test_the_page_reads_its_sections_as_numbered() -> None:
    numbers = list(sections(_page()))
    assert numbers[:3] == ["1", "2", "2.1"]
    assert {"3.2", "3.3", "4.0", "4.5", "5.1", "6"} <= set(numbers)

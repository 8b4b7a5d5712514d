"""The rule registry loads as typed records, names a bad entry, and keeps the audit light."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from architect_k import SCAR_LEDGER_DIR
from architect_k.audit.registry import RegistryError, load_rules


def _registry_with(tmp_path: Path, rule_id: str, path: str, value: Any) -> Path:
    data = yaml.safe_load((SCAR_LEDGER_DIR / "rules.yaml").read_text(encoding="utf-8"))
    rule = next(r for r in data["rules"] if r["id"] == rule_id)
    *parents, last = path.split(".")
    for key in parents:
        rule = rule[key]
    if value is None:
        del rule[last]
    else:
        rule[last] = value
    target = tmp_path / "rules.yaml"
    target.write_text(yaml.safe_dump(data), encoding="utf-8")
    return target


def test_the_shipped_registry_loads_with_its_typed_vocabularies() -> None:
    rules = load_rules()
    assert {r.severity for r in rules.values()} == {"blocking", "warning"}
    assert rules["R1"].action == "HALT" and rules["R2"].origin_kind == "ethics"


@pytest.mark.parametrize(
    ("rule_id", "path", "value", "message"),
    [
        ("R4", "severity", "fatal", "R4: `severity` is 'fatal', not one of blocking, warning"),
        ("R5", "action", "BLOCK", "R5: `action` is 'BLOCK', not one of HALT"),
        ("R6", "origin.kind", "incident", "R6: `origin.kind` is 'incident'"),
        ("R7", "title", "", "R7: `title` must be non-empty text"),
        ("R8", "remediation", None, "R8: `remediation` is missing"),
        ("R3", "exception.tag", 3, "R3: `exception.tag` must be non-empty text or null"),
        ("R1", "params", [90], "R1: `params` must be a mapping"),
        ("R2", "id", "R1", "R1 is defined twice"),
    ],
)
def test_a_bad_registry_entry_is_named_by_rule_and_field(
    tmp_path: Path, rule_id: str, path: str, value: Any, message: str
) -> None:
    with pytest.raises(RegistryError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_rules(_registry_with(tmp_path, rule_id, path, value))

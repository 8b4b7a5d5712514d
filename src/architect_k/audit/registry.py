"""Loads the rule registry (``scar_ledger/rules.yaml``) into :class:`Rule` objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from architect_k import SCAR_LEDGER_DIR
from architect_k.audit.model import Rule

RULES_FILE = SCAR_LEDGER_DIR / "rules.yaml"


class RegistryError(Exception):
    """The registry file is missing or malformed."""


def load_rules(path: Path | None = None) -> dict[str, Rule]:
    """Read the registry; returns rules keyed by id, in file order."""
    source = path or RULES_FILE
    try:
        data: Any = yaml.safe_load(source.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise RegistryError(f"cannot read rule registry {source}: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("rules"), list):
        raise RegistryError(f"rule registry {source} has no `rules:` list")
    rules: dict[str, Rule] = {}
    for raw in data["rules"]:
        try:
            rule = Rule(
                id=raw["id"],
                title=raw["title"],
                trigger=raw["trigger"],
                action=raw["action"],
                condition=raw["condition"],
                origin_kind=raw["origin"]["kind"],
                scar=raw["origin"]["scar"],
                origin_summary=raw["origin"]["summary"],
                exception_tag=raw["exception"]["tag"],
                exception_description=raw["exception"]["description"],
                severity=raw["severity"],
                remediation=" ".join(str(raw["remediation"]).split()),
                params=dict(raw.get("params") or {}),
            )
        except (KeyError, TypeError) as exc:
            raise RegistryError(f"rule registry {source}: malformed entry {raw!r}") from exc
        rules[rule.id] = rule
    return rules

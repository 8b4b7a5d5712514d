"""Loads the rule registry (``scar_ledger/rules.yaml``) into typed :class:`Rule` records.

Plain dataclasses, not a validation library: the audit's CI job installs only PyYAML and
architect-k, so everything ``architect-k audit`` imports stays on the standard library and
PyYAML. Each value is checked against the type :class:`Rule` declares, and a bad entry is named
by its rule id and field.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, get_args

import yaml

from architect_k import SCAR_LEDGER_DIR
from architect_k.audit.model import Action, OriginKind, Rule, Severity

RULES_FILE = SCAR_LEDGER_DIR / "rules.yaml"


class RegistryError(Exception):
    """The registry file is missing or malformed."""


class _Entry:
    """One raw `rules:` item, read field by field; a wrong value raises naming rule and field."""

    def __init__(self, raw: Any, source: Path, index: int) -> None:
        if not isinstance(raw, Mapping):
            raise RegistryError(f"rule registry {source}: rule #{index} is not a mapping")
        self.raw = raw
        self.where = f"rule registry {source}: {raw.get('id') or f'rule #{index}'}"

    def value(self, path: str) -> Any:
        node: Any = self.raw
        for key in path.split("."):
            if not isinstance(node, Mapping) or key not in node:
                raise RegistryError(f"{self.where}: `{path}` is missing")
            node = node[key]
        return node

    def text(self, path: str, *, nullable: bool = False) -> Any:
        value = self.value(path)
        if (value is None and nullable) or (isinstance(value, str) and value.strip()):
            return value
        kind = "non-empty text or null" if nullable else "non-empty text"
        raise RegistryError(f"{self.where}: `{path}` must be {kind}, not {value!r}")

    def choice(self, path: str, allowed: Any) -> Any:
        value = self.value(path)
        if value not in get_args(allowed):
            raise RegistryError(
                f"{self.where}: `{path}` is {value!r}, not one of {', '.join(get_args(allowed))}"
            )
        return value


def _rule(entry: _Entry) -> Rule:
    params = entry.raw.get("params") or {}
    if not isinstance(params, Mapping):
        raise RegistryError(f"{entry.where}: `params` must be a mapping, not {params!r}")
    return Rule(
        id=entry.text("id"),
        title=entry.text("title"),
        trigger=entry.text("trigger"),
        action=entry.choice("action", Action),
        condition=entry.text("condition"),
        origin_kind=entry.choice("origin.kind", OriginKind),
        scar=entry.text("origin.scar", nullable=True),
        origin_summary=entry.text("origin.summary"),
        exception_tag=entry.text("exception.tag", nullable=True),
        exception_description=entry.text("exception.description"),
        severity=entry.choice("severity", Severity),
        remediation=" ".join(entry.text("remediation").split()),
        params=dict(params),
    )


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
    for index, raw in enumerate(data["rules"], start=1):
        rule = _rule(_Entry(raw, source, index))
        if rule.id in rules:
            raise RegistryError(f"rule registry {source}: {rule.id} is defined twice")
        rules[rule.id] = rule
    return rules

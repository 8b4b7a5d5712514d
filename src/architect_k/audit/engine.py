"""Runs the selected rule checks over a repository and applies exception tags."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from pathlib import Path

from architect_k.audit.model import AuditResult, Finding, Hit, Rule, Skipped, Suppressed
from architect_k.audit.registry import load_rules
from architect_k.audit.repo import Repo, RepoError
from architect_k.cliargs import UsageError

# Rules that read a notebook as one module of its code cells; their hits carry a line of that
# module, turned here into the .ipynb line and the cell it sits in.
NOTEBOOK_CODE = frozenset({"R3", "R4", "R7", "R8", "R9"})


def select_rules(registry: dict[str, Rule], wanted: Iterable[str] | None) -> list[Rule]:
    """The registry rules named in ``wanted`` (all when ``None``), in registry order."""
    if wanted is None:
        return list(registry.values())
    ids = [w.strip().upper() for w in wanted if w.strip()]
    unknown = [i for i in ids if i not in registry]
    if unknown:
        raise UsageError(f"unknown rule id(s): {', '.join(unknown)}; known: {', '.join(registry)}")
    return [r for r in registry.values() if r.id in ids]


def open_repo(path: str | Path) -> Repo:
    """A :class:`Repo` for a directory (or a single file, audited alone)."""
    target = Path(path)
    if not target.exists():
        raise RepoError(f"{target}: no such file or directory")
    if target.is_dir():
        try:
            next(target.iterdir(), None)
        except OSError as exc:
            raise RepoError(f"{target}: cannot read directory: {exc.strerror}") from exc
        return Repo(target.resolve())
    try:
        with target.open("rb"):
            pass
    except OSError as exc:
        raise RepoError(f"{target}: cannot read: {exc.strerror}") from exc
    resolved = target.resolve()
    return Repo(resolved.parent, only=[resolved.name])


def _in_cell(repo: Repo, hit: Hit) -> Hit:
    where = repo.cell_location(hit.path, hit.line)
    if where is None:
        return hit
    cell, line, file_line = where

    def other(match: re.Match[str]) -> str:  # a line the verdict cites, e.g. the split's
        found = repo.cell_location(hit.path, int(match.group(1)))
        return f"cell {found[0]} line {found[1]}" if found else match.group(0)

    verdict = re.sub(r"\bline (\d+)", other, hit.verdict)
    return Hit(hit.path, file_line, f"{verdict} (cell {cell}, line {line})")


def run_audit(
    path: str | Path,
    rules: Iterable[str] | None = None,
    registry: dict[str, Rule] | None = None,
) -> AuditResult:
    """Audit ``path`` against ``rules`` (ids; all R1-R12 when ``None``).

    Raises :class:`UsageError` for unknown rule ids and ``RepoError`` for unreadable paths.
    """
    from architect_k.audit.rules import CHECKS

    start = time.perf_counter()
    registry = registry if registry is not None else load_rules()
    selected = select_rules(registry, rules)
    repo = open_repo(path)
    findings: list[Finding] = []
    suppressed: list[Suppressed] = []
    seen: set[tuple[str, str, int, str]] = set()
    for rule in selected:
        check = CHECKS.get(rule.id)
        if check is None:
            continue
        for hit in check(repo, rule):
            if rule.id in NOTEBOOK_CODE and hit.path.endswith(".ipynb"):
                hit = _in_cell(repo, hit)
            key = (rule.id, hit.path, hit.line, hit.verdict)
            if key in seen:
                continue
            seen.add(key)
            tag = rule.exception_tag
            if tag and repo.has_tag(hit.path, tag):
                suppressed.append(Suppressed(rule.id, hit.path, hit.line, tag))
                continue
            findings.append(Finding(rule, hit.path, hit.line, hit.verdict))
    order = {r.id: i for i, r in enumerate(selected)}
    findings.sort(key=lambda f: (order[f.rule.id], f.path, f.line))
    return AuditResult(
        root=str(repo.root),
        rules=selected,
        findings=findings,
        suppressed=suppressed,
        files_scanned=len(repo.files),
        duration_s=time.perf_counter() - start,
        skipped=[Skipped(p, kind, why) for p, (kind, why) in sorted(repo.skipped.items())],
    )

"""Runs the selected rule checks over a repository and applies exception tags."""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

from architect_k.audit.model import AuditResult, Finding, Rule, Skipped, Suppressed
from architect_k.audit.registry import load_rules
from architect_k.audit.repo import Repo, RepoError

# Rules whose analysis (dataflow, reachability, entry points) does not cover notebook cells.
NOTEBOOK_BLIND = frozenset({"R3", "R4", "R7", "R8", "R9"})


class UsageError(Exception):
    """Bad arguments: unknown rule ids, missing path."""


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
            key = (rule.id, hit.path, hit.line, hit.verdict)
            if key in seen:
                continue
            seen.add(key)
            tag = rule.exception_tag
            if tag and repo.has_tag(hit.path, tag):
                suppressed.append(Suppressed(rule.id, hit.path, hit.line, tag))
                continue
            findings.append(Finding(rule, hit.path, hit.line, hit.verdict))
    # Notebooks are read cell by cell for credentials (R2) only; say so rather than imply the
    # data and training rules looked at them.
    code_rules = [r.id for r in selected if r.id in NOTEBOOK_BLIND]
    for rel in repo.files:
        if rel.endswith(".ipynb") and code_rules:
            repo.skipped.setdefault(
                rel,
                ("notebook code not analysed", f"read for R2 only, not by {', '.join(code_rules)}"),
            )
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

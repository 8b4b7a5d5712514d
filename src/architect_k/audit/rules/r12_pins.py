"""R12: every installed dependency is pinned with ==, or installed from a pinned lock."""

from __future__ import annotations

import ast
import posixpath
import tomllib
from collections.abc import Iterator
from typing import Any

from architect_k.audit import dockerfile
from architect_k.audit.ci import ci_files, steps
from architect_k.audit.model import Hit, Rule
from architect_k.audit.pyast import dotted, last
from architect_k.audit.repo import Repo
from architect_k.audit.shell import (
    BOOTSTRAP,
    PipInstall,
    pip_install,
    requirement_name,
    requirement_pinned,
    split_commands,
)

LOCK_NAMES = frozenset({"poetry.lock", "uv.lock", "pdm.lock", "Pipfile.lock", "pylock.toml"})


def requirement_lines(repo: Repo, rel: str) -> Iterator[tuple[int, str]]:
    """``(line, spec)`` for each requirement of a requirements file (options skipped)."""
    pending = ""
    start = 0
    for number, raw in enumerate(repo.lines(rel), start=1):
        line = raw.split(" #", 1)[0].strip()
        if line.startswith("#"):
            continue
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        line = (pending + line).strip()
        pending = ""
        if not line or line.startswith("-") or line.startswith((".", "/", "file:")):
            continue
        spec = line.split(" --", 1)[0].strip()
        yield start, spec


def setup_requires(repo: Repo, rel: str) -> list[tuple[int, str]]:
    """``(line, spec)`` for each literal ``install_requires`` entry of a setup.py ``setup()``
    call, the list written inline or bound to a module-level name; a list computed at run time
    (read from a requirements file, which R12 checks itself) gives nothing."""
    mod = repo.module(rel)
    if mod is None:
        return []
    bound: dict[str, ast.expr] = {}
    for stmt in mod.tree.body:
        if isinstance(stmt, ast.Assign):
            for target in stmt.targets:
                if isinstance(target, ast.Name):
                    bound[target.id] = stmt.value
    out: list[tuple[int, str]] = []
    for node in mod.nodes(ast.Call):
        if not isinstance(node, ast.Call) or last(dotted(node.func) or "") != "setup":
            continue
        for kw in node.keywords:
            if kw.arg != "install_requires":
                continue
            value = bound.get(kw.value.id, kw.value) if isinstance(kw.value, ast.Name) else kw.value
            if isinstance(value, ast.List | ast.Tuple):
                out.extend(
                    (elt.lineno, elt.value)
                    for elt in value.elts
                    if isinstance(elt, ast.Constant) and isinstance(elt.value, str)
                )
    return out


def _unpinned(repo: Repo, rel: str) -> list[tuple[int, str]]:
    return [(n, s) for n, s in requirement_lines(repo, rel) if requirement_pinned(s) is False]


class _Locks:
    """Which requirement files in the repo are fully pinned (memoised)."""

    def __init__(self, repo: Repo, rule: Rule) -> None:
        self.repo = repo
        self.rule = rule
        self._pinned: dict[str, bool] = {}

    def find(self, ref: str, near: str) -> str | None:
        """Resolve ``-r FILE`` to a repo file: relative to ``near``, to the root, or by name."""
        for cand in (
            posixpath.normpath(posixpath.join(posixpath.dirname(near), ref)),
            posixpath.normpath(ref.lstrip("/")),
        ):
            if self.repo.exists(cand):
                return cand
        base = posixpath.basename(ref)
        matches = [f for f in self.repo.requirements if posixpath.basename(f) == base]
        return matches[0] if len(matches) == 1 else None

    def pinned(self, rel: str) -> bool:
        if rel not in self._pinned:
            tag = self.rule.exception_tag
            exempt = bool(tag) and self.repo.has_tag(rel, tag or "")
            self._pinned[rel] = exempt or not _unpinned(self.repo, rel)
        return self._pinned[rel]

    def any_lock(self) -> bool:
        if any(posixpath.basename(f) in LOCK_NAMES for f in self.repo.files):
            return True
        return any(
            self.pinned(f) and any(True for _ in requirement_lines(self.repo, f))
            for f in self.repo.requirements
        )


def _install_hits(
    locks: _Locks, path: str, line: int, inst: PipInstall, lock_seen: bool
) -> tuple[list[Hit], bool]:
    hits: list[Hit] = []
    constrained = any(
        (found := locks.find(c, path)) is not None and locks.pinned(found)
        for c in inst.constraint_files
    )
    for ref in inst.requirement_files:
        found = locks.find(ref, path)
        if found is None:
            continue
        if locks.pinned(found):
            lock_seen = True
        elif not constrained:
            hits.append(Hit(path, line, f"installs from `{ref}`, which has unpinned requirements"))
    for spec in inst.packages:
        if requirement_name(spec) in BOOTSTRAP:
            continue
        if requirement_pinned(spec) is False and not constrained:
            hits.append(Hit(path, line, f"installs `{spec}` without an exact == pin"))
    if inst.local and not (inst.no_deps or constrained or lock_seen):
        hits.append(
            Hit(
                path,
                line,
                f"installs `{' '.join(inst.local)}` and resolves its "
                "dependency ranges without a pinned lock",
            )
        )
    return hits, lock_seen


def _pyproject_deps(data: dict[str, Any]) -> list[str]:
    project = data.get("project") or {}
    deps: list[str] = list(project.get("dependencies") or [])
    for group in (project.get("optional-dependencies") or {}).values():
        deps.extend(group)
    for group in (data.get("dependency-groups") or {}).values():
        deps.extend(d for d in group if isinstance(d, str))
    return [d for d in deps if isinstance(d, str)]


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """One finding per unpinned dependency per file: the same package installed again in the
    same Dockerfile or workflow is one root cause, reported once with its other lines."""
    first: dict[tuple[str, str], Hit] = {}
    again: dict[tuple[str, str], list[int]] = {}
    for hit in _hits(repo, rule):
        key = (hit.path, hit.verdict)
        if key in first:
            if hit.line != first[key].line:
                again.setdefault(key, []).append(hit.line)
            continue
        first[key] = hit
    for key, hit in first.items():
        lines = sorted(set(again.get(key, [])))
        if lines:
            also = ", ".join(str(n) for n in lines)
            hit = Hit(hit.path, hit.line, f"{hit.verdict} (again at line(s) {also})")
        yield hit


def _hits(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Requirements files, pyproject ranges without a lock, Dockerfile and CI installs."""
    locks = _Locks(repo, rule)
    for rel in repo.requirements:
        for number, spec in _unpinned(repo, rel):
            yield Hit(rel, number, f"requirement `{spec}` is not pinned with ==")
    for rel in repo.files:
        if posixpath.basename(rel) != "pyproject.toml":
            continue
        try:
            data = tomllib.loads(repo.text(rel) or "")
        except tomllib.TOMLDecodeError:
            continue
        loose = [d for d in _pyproject_deps(data) if requirement_pinned(d) is False]
        if loose and not locks.any_lock():
            lines = repo.lines(rel)
            for dep in loose:
                # The quoted entry, not the first substring match (``name = "x"`` lines).
                number = next(
                    (i for i, t in enumerate(lines, 1) if f'"{dep}"' in t or f"'{dep}'" in t),
                    next((i for i, t in enumerate(lines, 1) if dep in t), 1),
                )
                yield Hit(rel, number, f"dependency `{dep}` is a range and no pinned lock exists")
    for rel in repo.python:
        if posixpath.basename(rel) == "setup.py" and "install_requires" in (repo.text(rel) or ""):
            loose_setup = [
                (n, d) for n, d in setup_requires(repo, rel) if requirement_pinned(d) is False
            ]
            if loose_setup and not locks.any_lock():
                for number, dep in loose_setup:
                    yield Hit(
                        rel,
                        number,
                        f"install_requires `{dep}` is a range and no pinned lock exists",
                    )
    for rel in repo.dockerfiles:
        lock_seen = False
        for ins in dockerfile.parse(repo.text(rel) or ""):
            if ins.keyword != "RUN":
                continue
            for cmd in split_commands(ins.shell()):
                inst = pip_install(cmd)
                if inst is None:
                    continue
                hits, lock_seen = _install_hits(locks, rel, ins.line, inst, lock_seen)
                yield from hits
    for rel in ci_files(repo):
        lock_seen = False
        for step in steps(repo, rel):
            for cmd in split_commands(step.run):
                inst = pip_install(cmd)
                if inst is None:
                    continue
                hits, lock_seen = _install_hits(locks, rel, step.line, inst, lock_seen)
                yield from hits

"""R9 (warning): gradient accumulation needs an effective batch size assertion."""

from __future__ import annotations

import ast
from collections.abc import Iterator

from architect_k.audit.model import Hit, Rule
from architect_k.audit.pyast import PyModule, int_value
from architect_k.audit.reach import context
from architect_k.audit.repo import Repo, is_test_path, walk_yaml
from architect_k.audit.yamlio import YDict


def _accum(name: str | None) -> bool:
    return bool(name) and "accum" in (name or "").lower()


def _ident(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def accumulation_line(mod: PyModule) -> int | None:
    """Line where the module accumulates gradients (steps > 1), if it does."""
    bound: list[tuple[int, int]] = []
    used: list[int] = []
    for node in mod.nodes(ast.Assign, ast.AnnAssign, ast.Call, ast.Dict, ast.BinOp):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            value = int_value(node.value)
            for t in targets:
                if _accum(_ident(t)) and value is not None:
                    bound.append((value, node.lineno))
        elif isinstance(node, ast.Call):
            for kw in node.keywords:
                if _accum(kw.arg) and int_value(kw.value) is not None:
                    bound.append((int_value(kw.value) or 0, node.lineno))
            first = node.args[0] if node.args else None
            if first is not None and _accum(_ident(first)):
                for kw in node.keywords:
                    if kw.arg == "default" and int_value(kw.value) is not None:
                        bound.append((int_value(kw.value) or 0, node.lineno))
        elif isinstance(node, ast.Dict):
            for k, v in zip(node.keys, node.values, strict=False):
                if k is not None and _accum(_ident(k)) and int_value(v) is not None:
                    bound.append((int_value(v) or 0, node.lineno))
        elif (
            isinstance(node, ast.BinOp)
            and isinstance(node.op, ast.Mod | ast.Div | ast.FloorDiv)
            and _accum(_ident(node.right))
        ):
            used.append(node.lineno)
    big = [line for value, line in bound if value > 1]
    if big:
        return big[0]
    if used and not bound:
        return used[0]
    return None


def _asserts(nodes: list[tuple[PyModule, ast.AST]]) -> bool:
    for cur, node in nodes:
        candidates = cur.nodes(ast.Assert, ast.If) if node is cur.tree else ast.walk(node)
        for sub in candidates:
            test = None
            if isinstance(sub, ast.Assert) or (
                isinstance(sub, ast.If) and any(isinstance(s, ast.Raise) for s in sub.body)
            ):
                test = sub.test
            if test is None:
                continue
            names = [(_ident(n) or "").lower() for n in ast.walk(test)]
            if any("effective" in n for n in names) or (
                any("accum" in n for n in names) and any("batch" in n for n in names)
            ):
                return True
    return False


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Python code and YAML/JSON configs with accumulation > 1, without the assertion."""
    repo_wide: list[tuple[PyModule, ast.AST]] = []
    for rel in repo.code:
        if is_test_path(rel):
            continue
        text = (repo.text(rel) or "").lower()
        if "accum" not in text and "assert" not in text and "raise" not in text:
            continue  # neither accumulates nor asserts: no need to parse it
        mod = repo.module(rel)
        if mod is not None:
            repo_wide.append((mod, mod.tree))
            line = accumulation_line(mod) if "accum" in text else None
            if line is not None and not _asserts(context(repo, mod)):
                yield Hit(rel, line, "gradient accumulation with no effective batch size assertion")
    config_hits = []
    for rel in repo.yaml:
        for doc in repo.yaml_docs(rel):
            for node in walk_yaml(doc):
                if isinstance(node, YDict):
                    for key, value in node.items():
                        if (
                            _accum(str(key))
                            and isinstance(value, int)
                            and not isinstance(value, bool)
                            and value > 1
                        ):
                            config_hits.append((rel, node.line_of(key)))
    if config_hits and not _asserts(repo_wide):
        for rel, line in config_hits:
            yield Hit(
                rel,
                line,
                "config sets gradient accumulation > 1 and no code asserts the "
                "effective batch size",
            )

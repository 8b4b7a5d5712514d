"""What code runs with a module: its own body, the repo functions it calls, and its callers.

A seed block or a profiling call often lives in a helper (``utils.set_seed()``) or in the
module that imports the script (a CLI wrapper); both count as "in the training entrypoint".
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from architect_k.audit.pyast import PyModule, call_name, last
from architect_k.audit.repo import Repo, is_test_path

TRAIN_CALLS = frozenset({"fit", "backward", "fit_generator", "train", "train_model", "fit_model"})


def importers(repo: Repo, mod: PyModule) -> list[PyModule]:
    """Non-test repo modules that import ``mod``."""
    out = []
    if not mod.modname:
        return out
    for rel in repo.python:
        if rel == mod.path or is_test_path(rel):
            continue
        text = repo.text(rel) or ""
        if mod.modname.rpartition(".")[2] not in text:
            continue
        other = repo.module(rel)
        if other is None:
            continue
        if any(v == mod.modname or v.startswith(mod.modname + ".") for v in other.imports.values()):
            out.append(other)
    return out


def context(repo: Repo, mod: PyModule) -> list[tuple[PyModule, ast.AST]]:
    """Code reachable from ``mod`` plus code reachable from the modules importing it."""
    seen: set[int] = set()
    out: list[tuple[PyModule, ast.AST]] = []
    for root in [mod, *importers(repo, mod)]:
        for cur, node in repo.reachable(root):
            if id(node) not in seen:
                seen.add(id(node))
                out.append((cur, node))
    return out


def calls(nodes: list[tuple[PyModule, ast.AST]]) -> Iterator[tuple[PyModule, ast.Call, str]]:
    """``(module, call, qualified name)`` for every call in the given code."""
    for cur, node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Call):
                yield cur, sub, call_name(sub, cur.imports)


def trains(nodes: list[tuple[PyModule, ast.AST]]) -> bool:
    """True when the code fits a model or runs a backward pass."""
    return any(last(name) in TRAIN_CALLS for _, _, name in calls(nodes))


def uses_torch(nodes: list[tuple[PyModule, ast.AST]]) -> bool:
    """True when any of the modules involved imports torch or a torch framework."""
    roots = {"torch", "lightning", "pytorch_lightning", "transformers", "accelerate"}
    return any(v.split(".")[0] in roots for cur, _ in nodes for v in cur.imports.values())

"""What code runs with a module: its own body, the repo functions it calls, and its callers.

A seed block or a profiling call often lives in a helper (``utils.set_seed()``) or in the
module that imports the script (a CLI wrapper); both count as "in the training entrypoint".
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from architect_k.audit.pyast import PyModule, last
from architect_k.audit.repo import Repo

TRAIN_CALLS = frozenset({"fit", "backward", "fit_generator", "train", "train_model", "fit_model"})


def importers(repo: Repo, mod: PyModule) -> list[PyModule]:
    """Non-test repo modules that import ``mod``."""
    if not mod.modname:
        return []
    return [m for m in repo.importers_of(mod.modname) if m.path != mod.path]


def context(repo: Repo, mod: PyModule) -> list[tuple[PyModule, ast.AST]]:
    """Code reachable from ``mod`` plus code reachable from the modules importing it."""
    cached = repo.context_cache.get(mod.path)
    if cached is not None:
        return cached
    seen: set[int] = set()
    out: list[tuple[PyModule, ast.AST]] = []
    repo.context_cache[mod.path] = out
    for root in [mod, *importers(repo, mod)]:
        for cur, node in repo.reachable(root):
            if id(node) not in seen:
                seen.add(id(node))
                out.append((cur, node))
    return out


def calls(nodes: list[tuple[PyModule, ast.AST]]) -> Iterator[tuple[PyModule, ast.Call, str]]:
    """``(module, call, qualified name)`` for every call in the given code."""
    for cur, node in nodes:
        for call, name in cur.calls_under(node):
            yield cur, call, name


def trains(nodes: list[tuple[PyModule, ast.AST]]) -> bool:
    """True when the code fits a model or runs a backward pass."""
    return any(last(name) in TRAIN_CALLS for _, _, name in calls(nodes))


def uses_torch(nodes: list[tuple[PyModule, ast.AST]]) -> bool:
    """True when any of the modules involved imports torch or a torch framework."""
    roots = {"torch", "lightning", "pytorch_lightning", "transformers", "accelerate"}
    return any(v.split(".")[0] in roots for cur, _ in nodes for v in cur.imports.values())

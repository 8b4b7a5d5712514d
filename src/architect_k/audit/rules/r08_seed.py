"""R8: a training entrypoint seeds python, numpy and (when used) torch before training."""

from __future__ import annotations

import ast
import posixpath
from collections.abc import Iterator

from architect_k.audit.model import Hit, Rule
from architect_k.audit.pyast import PyModule, last
from architect_k.audit.reach import calls, context, trains, uses_torch
from architect_k.audit.repo import Repo, is_test_path

ENTRY_STEMS = frozenset({"train", "training", "finetune", "fine_tune", "pretrain", "trainer"})
SEED_ALL = frozenset({"seed_everything", "set_seed", "set_random_seed", "enable_full_determinism"})
SEED_ALL_ROOTS = frozenset(
    {
        "lightning",
        "pytorch_lightning",
        "lightning_fabric",
        "transformers",
        "accelerate",
        "keras",
        "tensorflow",
    }
)


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    return any(isinstance(p, ast.Name) and p.id == "__name__" for p in parts)


def is_entrypoint(repo: Repo, mod: PyModule) -> bool:
    """Named like a training script, or a ``__main__`` script that trains."""
    stem = posixpath.basename(mod.path)[:-3]
    named = stem in ENTRY_STEMS or stem.startswith("train_") or stem.endswith("_train")
    if named:
        return True
    return any(_is_main_guard(s) for s in mod.tree.body)


def seeds(nodes: list[tuple[PyModule, ast.AST]]) -> set[str]:
    """Which generators are seeded: a subset of {'python', 'numpy', 'torch'}."""
    found: set[str] = set()
    for _, call, name in calls(nodes):
        tail = last(name)
        root = name.split(".")[0]
        if name == "random.seed":
            found.add("python")
        elif name in {"numpy.random.seed"} or (
            name in {"numpy.random.default_rng", "numpy.random.RandomState"} and call.args
        ):
            found.add("numpy")
        elif name in {"torch.manual_seed", "torch.random.manual_seed"}:
            found.add("torch")
        elif tail in SEED_ALL and root in SEED_ALL_ROOTS:
            found |= {"python", "numpy", "torch"}
    return found


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Flag entrypoints whose reachable code misses one of the required seeds."""
    for rel in repo.python:
        if is_test_path(rel):
            continue
        stem = posixpath.basename(rel)[:-3]
        named = stem in ENTRY_STEMS or stem.startswith("train_") or stem.endswith("_train")
        if not named and "__main__" not in (repo.text(rel) or ""):
            continue
        mod = repo.module(rel)
        if mod is None or not is_entrypoint(repo, mod):
            continue
        nodes = context(repo, mod)
        if not trains(nodes):
            continue
        required = {"python", "numpy"} | ({"torch"} if uses_torch(nodes) else set())
        missing = required - seeds(nodes)
        if missing:
            names = {
                "python": "random.seed",
                "numpy": "np.random.seed",
                "torch": "torch.manual_seed",
            }
            listed = ", ".join(names[m] for m in sorted(missing))
            yield Hit(
                rel, 1, f"training entrypoint `{rel}` trains without seeding ({listed} absent)"
            )

"""R8: a training entrypoint seeds python, numpy and (when used) torch before training."""

from __future__ import annotations

import ast
import posixpath
import re
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


# A project's own seeding helper (set_seed(42), seed_everything(), fix_seeds()), possibly
# imported from a package the audit cannot read: it seeds every generator by convention.
_SEED_HELPER = re.compile(
    r"(?:set|fix|init|seed)_?(?:all_|global_|random_)?seeds?(?:_everything|_all)?"
)
# Entry points that start a model server fit at load time; they are not training runs.
_SERVES = frozenset({"ModelServer", "run_app"})


def _is_main_guard(node: ast.stmt) -> bool:
    if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
        return False
    parts = [node.test.left, *node.test.comparators]
    return any(isinstance(p, ast.Name) and p.id == "__name__" for p in parts)


def is_entrypoint(repo: Repo, mod: PyModule) -> bool:
    """Named like a training script, or a ``__main__`` script that trains."""
    stem = posixpath.splitext(posixpath.basename(mod.path))[0]
    named = stem in ENTRY_STEMS or stem.startswith("train_") or stem.endswith("_train")
    if named or mod.path.endswith(".ipynb"):  # a notebook runs top to bottom, like a script
        return True
    return any(_is_main_guard(s) for s in mod.tree.body)


def seeds(repo: Repo, nodes: list[tuple[PyModule, ast.AST]]) -> set[str]:
    """Which generators are seeded: a subset of {'python', 'numpy', 'torch'}.

    A seeding helper the audit can read is judged by what it calls (it is among ``nodes``);
    one it cannot resolve (an installed package's ``set_seed(42)``) is taken at its word.
    """
    found: set[str] = set()
    for cur, call, name in calls(nodes):
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
        elif (tail in SEED_ALL and root in SEED_ALL_ROOTS) or (
            _SEED_HELPER.fullmatch(tail.lower())
            and (call.args or call.keywords)
            and repo.resolve(cur, call) is None
        ):
            found |= {"python", "numpy", "torch"}
    return found


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Flag entrypoints whose reachable code misses one of the required seeds."""
    for rel in repo.code:
        if is_test_path(rel):
            continue
        stem = posixpath.splitext(posixpath.basename(rel))[0]
        named = stem in ENTRY_STEMS or stem.startswith("train_") or stem.endswith("_train")
        notebook = rel.endswith(".ipynb")
        if not named and not notebook and "__main__" not in (repo.text(rel) or ""):
            continue
        mod = repo.module(rel)
        if mod is None or not is_entrypoint(repo, mod):
            continue
        nodes = context(repo, mod)
        if not trains(nodes) or any(last(n) in _SERVES for _, _, n in calls(nodes)):
            continue
        required = {"python", "numpy"} | ({"torch"} if uses_torch(nodes) else set())
        missing = required - seeds(repo, nodes)
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

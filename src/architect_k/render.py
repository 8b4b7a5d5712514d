"""Render the template from this checkout with copier's API (tests, `make demo`, benchmarks)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from architect_k import REPO_ROOT


def load_answers(path: Path) -> dict[str, Any]:
    """Read an answers file (the public answer-file contract, see README)."""
    answers = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(answers, dict):
        raise ValueError(f"{path}: an answers file is a mapping of question to answer")
    return answers


@contextmanager
def _own_architect_k() -> Iterator[None]:
    """Keep this process's architect_k modules and sys.path across an in-process render.

    The template's Jinja extension imports architect_k from the template's temporary clone
    (hooks/extensions.py); once copier deletes that clone, modules loaded from it would point
    at files that no longer exist.
    """
    saved_path = list(sys.path)
    saved = {name: module for name, module in sys.modules.items() if _ours(name)}
    try:
        yield
    finally:
        for name in [name for name in sys.modules if _ours(name)]:
            del sys.modules[name]
        sys.modules.update(saved)
        sys.path[:] = saved_path


def _ours(module_name: str) -> bool:
    return module_name == "architect_k" or module_name.startswith("architect_k.")


def render_example(answers_file: Path, destination: Path, **overrides: Any) -> Path:
    """Render `answers_file` (plus `overrides`) into `destination`, as `copier copy` would."""
    from copier import run_copy

    data = {**load_answers(answers_file), **overrides}
    with _own_architect_k():
        run_copy(
            str(REPO_ROOT),
            str(destination),
            data=data,
            defaults=True,
            unsafe=True,
            vcs_ref="HEAD",
            quiet=True,
        )
    return destination


def training_args(package: str, *extra: str) -> list[str]:
    """`python` arguments that train a rendered service on data/sample.csv, as `make train` does."""
    return [
        "-m",
        f"{package}.train",
        "--config",
        "configs/train.yaml",
        "--data",
        "data/sample.csv",
        "--output",
        "artifacts",
        *extra,
    ]

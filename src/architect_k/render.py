"""Render the template from this checkout with copier's API (tests, `make demo`, benchmarks)."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator, Mapping
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
    return render_answers({**load_answers(answers_file), **overrides}, destination)


#: What copier needs of this checkout to render: the questions, the template, the hooks and
#: the package and ledger they import.
TEMPLATE_PARTS = ("copier.yml", "template", "hooks", "src", "scar_ledger")


def snapshot_template(destination: Path) -> Path:
    """Copy the template's parts of this working tree into `destination`, outside git.

    Copier renders a directory that is not a git repository in place; a dirty checkout it
    first clones and commits, once per render. Many renders of the same tree (the answer-space
    tests) render from one snapshot instead.
    """
    destination.mkdir(parents=True, exist_ok=True)
    copy_parts(TEMPLATE_PARTS, destination)
    return destination


def copy_parts(parts: tuple[str, ...], destination: Path) -> None:
    """Copy files and folders of this checkout (named from its root) into `destination`,
    without Python's caches and build metadata."""
    skip = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for part in parts:
        source = REPO_ROOT / part
        if source.is_dir():
            shutil.copytree(source, destination / part, ignore=skip)
        else:
            shutil.copy2(source, destination / part)


def render_answers(
    answers: Mapping[str, Any],
    destination: Path,
    *,
    template: Path = REPO_ROOT,
    tasks: bool = True,
) -> Path:
    """Render `answers` from `template` (this checkout's HEAD plus its uncommitted changes, or
    a snapshot) into `destination`; without `tasks`, the post-render audit is left to the
    caller."""
    from copier import run_copy

    with _own_architect_k():
        run_copy(
            str(template),
            str(destination),
            data=dict(answers),
            defaults=True,
            unsafe=True,
            vcs_ref="HEAD" if (template / ".git").exists() else None,
            quiet=True,
            skip_tasks=not tasks,
        )
    return destination


def training_args(package: str, *extra: str) -> list[str]:
    """`python` arguments that train a rendered service on data/sample.csv, as `make train` does."""
    return [
        "-m",
        f"{package}.training",
        "--config",
        "configs/train.yaml",
        "--data",
        "data/sample.csv",
        "--output",
        "artifacts",
        *extra,
    ]

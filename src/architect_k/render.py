"""Render the template from this checkout with copier's API (tests, `make demo`, benchmarks)."""

from __future__ import annotations

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


def render_example(answers_file: Path, destination: Path, **overrides: Any) -> Path:
    """Render `answers_file` (plus `overrides`) into `destination`, as `copier copy` would."""
    from copier import run_copy

    data = {**load_answers(answers_file), **overrides}
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

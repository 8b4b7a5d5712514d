"""Shared fixtures: each example is rendered once per test session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from architect_k import REPO_ROOT
from architect_k.render import render_example

EXAMPLES_DIR = REPO_ROOT / "examples"
EXAMPLES = sorted(path.stem for path in EXAMPLES_DIR.glob("*.yml"))


@pytest.fixture(scope="session")
def rendered_examples(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Every example in examples/, rendered from this checkout: {example name: repo path}."""
    root = tmp_path_factory.mktemp("rendered")
    yield {name: render_example(EXAMPLES_DIR / f"{name}.yml", root / name) for name in EXAMPLES}


@pytest.fixture(params=EXAMPLES)
def example(request: pytest.FixtureRequest, rendered_examples: dict[str, Path]) -> Path:
    """One rendered example repository per test parameter."""
    path: Path = rendered_examples[request.param]
    return path

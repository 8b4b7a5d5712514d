"""Shared fixtures: each example is rendered once per test session."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pathspec
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


def load_module(name: str, path: Path) -> ModuleType:
    """The script at `path` imported as module `name`: hooks and scripts are not packages."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # a dataclass in it looks its module up there
    spec.loader.exec_module(module)
    return module


def run_in_service(service: Path, *module_args: str) -> subprocess.CompletedProcess[str]:
    """`python -m MODULE ARGS` inside a generated service, with this venv and its src/."""
    return _in_service(service, [sys.executable, "-m", *module_args])


def lint_imports(service: Path) -> subprocess.CompletedProcess[str]:
    """The service's import-linter contracts (its pyproject.toml), as its `make lint` runs them."""
    lint = Path(sys.executable).with_name("lint-imports")
    return _in_service(service, [str(lint), "--no-cache", "--no-logo"])


def _in_service(service: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv,
        cwd=service,
        env={"PYTHONPATH": str(service / "src"), "PATH": str(Path(sys.executable).parent)},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )


def service_test_args(package: str, coverage_gate: int) -> tuple[str, ...]:
    """The service's own test run, gated at its answered coverage (R1)."""
    return (
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--cov={package}",
        f"--cov-fail-under={coverage_gate}",
    )


def committed_files(repo: Path) -> list[str]:
    """The files of a rendered repository its own .gitignore keeps: what a first commit holds,
    whatever running its suite (the render tests do) has left beside them."""
    ignored = pathspec.GitIgnoreSpec.from_lines(
        (repo / ".gitignore").read_text(encoding="utf-8").splitlines()
    )
    kept = (path.relative_to(repo) for path in repo.rglob("*") if path.is_file())
    return sorted(
        str(path) for path in kept if ".git" not in path.parts and not ignored.match_file(path)
    )

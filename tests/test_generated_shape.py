"""A rendered service is laid out in layers a newcomer can follow (docs/architect-k.md, §6 taste).

Serving, training and monitoring depend on the shared modules and `contracts`, never on each
other; the service's own lint states that with import-linter contracts, and they hold for every
example here and every fuzz draw (tests/test_answer_space.py). Small modules by role: a file
over MAX_LINES says at its top why it is kept whole. JSON documents (the handoffs) are data
dumped from the answers, one entry per column, and JSON has no comments: they are not held to it.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import yaml

from tests.conftest import committed_files, lint_imports

MAX_LINES = 300
# A long file's reason, in its first lines: "... kept in one file because ...".
REASON = re.compile(r"\bbecause\b", re.IGNORECASE)


def long_files_without_a_reason(repo: Path) -> list[str]:
    """Committed text files of `repo` over MAX_LINES whose first lines give no reason."""
    found = []
    for name in committed_files(repo):
        if name.endswith(".json"):
            continue
        try:
            lines = (repo / name).read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        if len(lines) > MAX_LINES and not any(REASON.search(line) for line in lines[:12]):
            found.append(f"{name}: {len(lines)} lines")
    return found


def test_no_generated_file_is_long_without_saying_why(example: Path) -> None:
    assert long_files_without_a_reason(example) == []


def test_the_length_check_names_a_long_file_that_gives_no_reason(tmp_path: Path) -> None:
    (tmp_path / ".gitignore").write_text("", encoding="utf-8")
    (tmp_path / "long.py").write_text("x = 1\n" * (MAX_LINES + 1), encoding="utf-8")
    (tmp_path / "reasoned.py").write_text(
        '"""Kept in one file because the steps share one state."""\n' + "x = 1\n" * MAX_LINES,
        encoding="utf-8",
    )
    assert long_files_without_a_reason(tmp_path) == [f"long.py: {MAX_LINES + 1} lines"]


def test_the_layer_contracts_hold_in_every_example(example: Path) -> None:
    result = lint_imports(example)
    assert result.returncode == 0, result.stdout + result.stderr


def test_training_importing_serving_breaks_the_layer_contracts(
    rendered_examples: dict[str, Path], tmp_path: Path
) -> None:
    """The contracts are not vacuous: training reaching into serving fails the service's lint."""
    repo = tmp_path / "service"
    shutil.copytree(rendered_examples["churn"], repo, ignore=shutil.ignore_patterns(".git"))
    package = yaml.safe_load((repo / ".copier-answers.yml").read_text("utf-8"))["package_name"]
    training = repo / "src" / package / "training" / "__init__.py"
    training.write_text(
        training.read_text("utf-8") + f"\nfrom {package}.serve import settings  # noqa: F401\n",
        encoding="utf-8",
    )
    result = lint_imports(repo)
    assert result.returncode != 0
    assert f"{package}.training" in result.stdout and f"{package}.serve" in result.stdout

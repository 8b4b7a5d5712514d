"""The render matrix: every example renders into a complete, parseable, deterministic repo."""

from __future__ import annotations

import ast
import importlib.metadata
import json
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
import yaml

from architect_k.audit import run_audit
from architect_k.render import load_answers, render_example
from tests.conftest import EXAMPLES_DIR, committed_files, run_in_service, service_test_args
from tests.test_answer_space import parse_problems

HOSTILE = 'it\'s "quoted" {{ 7*7 }} {% raw %} $(touch PWNED) `id` a: b #c back\\slash'


def _files(root: Path) -> dict[str, bytes]:
    """What a first commit of the repository holds: other tests run code in the session's
    renders, and the caches they leave are the repository's own .gitignore's business."""
    return {name: (root / name).read_bytes() for name in committed_files(root)}


def _parse_every_file(root: Path) -> None:
    assert parse_problems(root) == []


def test_every_example_renders_a_complete_repo(example: Path) -> None:
    files = _files(example)
    assert not [name for name in files if name.endswith(".jinja")]
    for expected in (
        "README.md",
        "Makefile",
        "pyproject.toml",
        "requirements.lock",
        ".copier-answers.yml",
        ".gitignore",
        "handoff/infrastructure.json",
        "handoff/data-engineering.json",
    ):
        assert expected in files
    answers = yaml.safe_load(files[".copier-answers.yml"])
    package = answers["package_name"]
    assert f"src/{package}/schema.py" in files
    _parse_every_file(example)


def test_every_example_audits_clean(example: Path) -> None:
    findings = run_audit(example).findings
    assert [finding.message for finding in findings] == []


def test_the_same_answers_render_byte_identical_repos(
    tmp_path: Path, rendered_examples: dict[str, Path]
) -> None:
    again = _files(render_example(EXAMPLES_DIR / "churn.yml", tmp_path / "churn"))
    first = _files(rendered_examples["churn"])
    # A dirty checkout renders from a fresh temporary commit each time; only that commit (the
    # answers' `_commit`, the pre-commit hook's rev) may differ.
    for files in (again, first):
        answers = yaml.safe_load(files[".copier-answers.yml"])
        commit = str(answers["_commit"]).encode()
        for name, content in files.items():
            files[name] = content.replace(commit, b"<commit>")
    assert again == first


def test_every_pin_in_the_locks_is_exact(example: Path) -> None:
    for lock in ("requirements.lock", "requirements-dev.lock"):
        lines = (example / lock).read_text(encoding="utf-8").splitlines()
        pins = [line for line in lines if line and not line.startswith("#")]
        assert pins and all("==" in line for line in pins), lock
    project = tomllib.loads((example / "pyproject.toml").read_text(encoding="utf-8"))
    locked = {
        line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
        for line in (example / "requirements.lock").read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    for requirement in project["project"]["dependencies"]:
        name, version = requirement.split("==")
        assert locked[name.lower().replace("_", "-")] == version, requirement


def test_every_third_party_import_is_a_pinned_dependency(example: Path) -> None:
    """What the service's code imports is declared in pyproject.toml, not just locked."""
    answers = yaml.safe_load((example / ".copier-answers.yml").read_text(encoding="utf-8"))
    imported: set[str] = set()
    for path in (example / "src").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {answers["package_name"]}
    providers = importlib.metadata.packages_distributions()
    project = tomllib.loads((example / "pyproject.toml").read_text(encoding="utf-8"))
    declared = {
        requirement.split("==")[0].lower().replace("_", "-")
        for requirement in project["project"]["dependencies"]
    }
    # A module may come from several distributions (mlflow from mlflow and mlflow-skinny).
    undeclared = [
        name
        for name in sorted(third_party)
        if not {p.lower().replace("_", "-") for p in providers[name]} & declared
    ]
    assert undeclared == []


def test_the_wheel_and_the_image_carry_no_development_credentials(example: Path) -> None:
    """Code that mints tokens, keys or certificates lives in scripts/, outside both: the wheel
    packages src/ only and the Dockerfile copies src/, never scripts/."""
    assert (example / "scripts" / "dev_credentials.py").is_file()
    minting = ("dev_credentials", "generate_private_key", "jwt.encode", "CertificateBuilder")
    for path in (example / "src").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert [word for word in minting if word in text] == [], path
    project = tomllib.loads((example / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["tool"]["setuptools"]["packages"]["find"]["where"] == ["src"]
    copied = [
        line.split()[1]
        for line in (example / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.startswith("COPY") and "--from" not in line
    ]
    shipped = ("requirements.lock", "pyproject.toml", "src/", "configs/", "artifacts/model/")
    assert copied
    assert [source for source in copied if not source.startswith(shipped)] == []


def test_answers_render_as_inert_data(tmp_path: Path) -> None:
    hostile: dict[str, Any] = {
        "project_name": 'Quote "Svc" {{ 7*7 }} $(id)',
        "project_description": "Line one.\n" + HOSTILE + "\n\"\"\"'''",
    }
    answers = load_answers(EXAMPLES_DIR / "churn.yml")
    categories = ["it's", '"quoted"', "{{ 7*7 }}", "a: b", "#hash", "back\\slash", "$(touch PWNED)"]
    answers["dataset_schema"]["columns"]["contract"]["categories"] = categories
    destination = tmp_path / "service"
    render_example(
        EXAMPLES_DIR / "churn.yml", destination, dataset_schema=answers["dataset_schema"], **hostile
    )
    _parse_every_file(destination)
    assert not (tmp_path / "PWNED").exists() and not (destination / "PWNED").exists()

    project = tomllib.loads((destination / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["description"] == hostile["project_description"]
    rendered = json.loads(
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import json; from quote_svc_7_7_id import schema, PROJECT_NAME; "
                "contract = schema.COLUMNS_BY_NAME['contract']; "
                "print(json.dumps([PROJECT_NAME, list(contract.categories)]))",
            ],
            env={"PYTHONPATH": str(destination / "src")},
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    assert rendered == [hostile["project_name"], categories]
    saved = yaml.safe_load((destination / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert saved["project_description"] == hostile["project_description"]
    assert saved["dataset_schema"]["columns"]["contract"]["categories"] == categories
    assert "{{ 7*7 }}" in (destination / "README.md").read_text(encoding="utf-8")


def test_column_order_survives_the_answers_file(example: Path) -> None:
    saved = yaml.safe_load((example / ".copier-answers.yml").read_text(encoding="utf-8"))
    original = load_answers(EXAMPLES_DIR / f"{example.name}.yml")
    assert list(saved["dataset_schema"]["columns"]) == list(original["dataset_schema"]["columns"])


@pytest.mark.slow
def test_generated_repo_passes_its_own_tests_lint_and_types(example: Path) -> None:
    """The generated suite, ruff and mypy --strict, with the coverage gate it was answered."""
    answers = yaml.safe_load((example / ".copier-answers.yml").read_text(encoding="utf-8"))
    for command in (
        ("ruff", "check", "--no-cache", "src", "tests"),
        ("mypy", "--no-incremental"),
        service_test_args(answers["package_name"], answers["coverage_threshold"]),
    ):
        result = run_in_service(example, *command)
        assert result.returncode == 0, (
            f"{command[0]}:\n{result.stdout[-4000:]}{result.stderr[-2000:]}"
        )

"""The interrogation through the real `copier` command: refusals are complete, clean, harmless."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from architect_k import REPO_ROOT
from tests.conftest import EXAMPLES_DIR

COPIER = str(Path(sys.executable).with_name("copier"))


def _copier(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1"}
    return subprocess.run(
        [COPIER, "copy", "--trust", "--vcs-ref", "HEAD", *args],
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _snapshot(root: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()
    }


def test_no_answers_prints_one_form_naming_every_invariant(tmp_path: Path) -> None:
    destination = tmp_path / "service"
    result = _copier("--defaults", str(REPO_ROOT), str(destination), cwd=tmp_path)
    assert result.returncode != 0
    assert "HALT: Requirements Interrogation Form (10 missing)" in result.stderr
    for invariant in ("dataset schema", "target metric", "deployment environment", "latency SLA"):
        assert invariant in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert not destination.exists()


def test_a_refusal_leaves_an_existing_destination_untouched(tmp_path: Path) -> None:
    destination = tmp_path / "service"
    destination.mkdir()
    (destination / "notes.md").write_text("mine\n", encoding="utf-8")
    before = _snapshot(destination)
    result = _copier(
        "--defaults",
        "--data-file",
        str(EXAMPLES_DIR / "churn.yml"),
        "--data",
        "latency_p99_ms=abc",
        "--data",
        "coverage_threshold=50",
        str(REPO_ROOT),
        str(destination),
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "(2 invalid)" in result.stderr
    assert "'abc' is not a positive whole number" in result.stderr
    assert "R1 refuses '50'" in result.stderr
    assert _snapshot(destination) == before


def test_a_run_without_a_terminal_is_checked_as_a_whole(tmp_path: Path) -> None:
    """No --defaults but no TTY either (CI): the form, not a prompt that cannot be answered."""
    destination = tmp_path / "service"
    result = _copier(
        "--data", "project_name=Fraud Model", str(REPO_ROOT), str(destination), cwd=tmp_path
    )
    assert result.returncode != 0
    assert "HALT: Requirements Interrogation Form (9 missing)" in result.stderr
    assert "project_name" not in result.stderr.split("Missing:")[1].split("why")[0]
    assert not destination.exists()


def test_a_complete_answers_file_renders_and_passes_the_audit_task(tmp_path: Path) -> None:
    destination = tmp_path / "service"
    result = _copier(
        "--defaults",
        "--data-file",
        str(EXAMPLES_DIR / "demand_forecast_gpu.yml"),
        str(REPO_ROOT),
        str(destination),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "SCAR WARNING SCA-0103" in result.stderr
    assert (destination / "src" / "demand_forecast" / "schema.py").is_file()
    answers = (destination / ".copier-answers.yml").read_text(encoding="utf-8")
    assert "interrogation" not in answers and "scar_review" not in answers
    assert "distributed: ddp" in answers


@pytest.mark.parametrize("answer", ["auth_mode=none", "deployment_compute=tpu-v5"])
def test_choices_outside_the_list_are_refused_in_the_form(tmp_path: Path, answer: str) -> None:
    result = _copier(
        "--defaults",
        "--data-file",
        str(EXAMPLES_DIR / "churn.yml"),
        "--data",
        answer,
        str(REPO_ROOT),
        str(tmp_path / "service"),
        cwd=tmp_path,
    )
    assert result.returncode != 0
    assert "is not one of" in result.stderr
    assert "Traceback" not in result.stderr

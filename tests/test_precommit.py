"""The audit as a pre-commit hook, run by the real pre-commit from a scratch clone of this tree.

The scratch repository is a rendered service with its own .pre-commit-config.yaml; only the
audit hook's source is pointed at a snapshot of this working tree, so the test exercises the
hook definition (.pre-commit-hooks.yaml), the packaging pre-commit installs and the generated
configuration together.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from architect_k.render import copy_parts

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
#: What `pip install .` of this repository needs; pre-commit installs the hook from it.
HOOK_SOURCE = ("pyproject.toml", "README.md", ".pre-commit-hooks.yaml", "src", "scar_ledger")
CREDENTIAL = (
    Path(__file__).parent / "fixtures" / "audit" / "R2" / "violating" / "python_constant"
    / "settings.py"
)


def git(cwd: Path, *args: str) -> str:
    result = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=cwd, capture_output=True, text=True, check=True,
    )
    return result.stdout.strip()


def snapshot_hook_repo(destination: Path) -> str:
    """This working tree's hook source as a one-commit git repository; returns the commit."""
    destination.mkdir()
    copy_parts(HOOK_SOURCE, destination)
    git(destination, "init", "-q")
    git(destination, "add", "-A")
    git(destination, "commit", "-q", "-m", "hook snapshot")
    return git(destination, "rev-parse", "HEAD")


@pytest.mark.slow
def test_the_audit_hook_blocks_a_staged_violation_and_passes_a_clean_tree(
    tmp_path: Path, rendered_examples: dict[str, Path]
) -> None:
    rev = snapshot_hook_repo(tmp_path / "architect-k")
    service = tmp_path / "service"
    shutil.copytree(rendered_examples["churn"], service)
    config_path = service / ".pre-commit-config.yaml"
    config = yaml.safe_load(config_path.read_text())
    (audit_repo,) = [repo for repo in config["repos"] if repo["repo"] != "local"]
    assert [hook["id"] for hook in audit_repo["hooks"]] == ["architect-k-audit"]
    audit_repo.update(repo=str(tmp_path / "architect-k"), rev=rev)
    config_path.write_text(yaml.safe_dump(config, sort_keys=False))
    # The local ruff hook runs this virtualenv's pinned ruff, as the service's .venv would.
    (service / ".venv").symlink_to(Path(sys.executable).parents[1], target_is_directory=True)
    (service / ".gitignore").write_text((service / ".gitignore").read_text() + ".venv\n")
    env = {
        **os.environ,
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home"),
        # mypy --strict over the whole service is covered by test_render; it adds a minute here.
        "SKIP": "mypy",
    }
    git(service, "init", "-q")
    subprocess.run([PRE_COMMIT, "install"], cwd=service, env=env, check=True, capture_output=True)

    def commit(message: str) -> subprocess.CompletedProcess[str]:
        git(service, "add", "-A")
        return subprocess.run(
            ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid",
             "commit", "-q", "-m", message],
            cwd=service, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            timeout=900, check=False,
        )

    clean = commit("rendered service")
    assert clean.returncode == 0, clean.stdout
    assert "architect-k audit (rules R1-R12)" in clean.stdout
    assert "ruff check" in clean.stdout
    assert "Failed" not in clean.stdout

    shutil.copy(CREDENTIAL, service / "src" / "settings.py")
    blocked = commit("add settings")
    assert blocked.returncode != 0
    assert "R2 HALT [blocking]" in blocked.stdout
    assert "src/settings.py:3" in blocked.stdout
    # Piped to pre-commit, not a terminal: the report carries no colour codes.
    assert "\033[" not in blocked.stdout
    assert git(service, "rev-list", "--count", "HEAD") == "1"

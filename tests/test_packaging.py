"""An installed architect-k (as generated CI installs it) carries its rules and scars."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from architect_k import REPO_ROOT


def test_the_wheel_carries_every_module_and_the_scar_ledger(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--quiet",
            "--no-deps",
            "--no-build-isolation",
            "--wheel-dir",
            str(tmp_path),
            str(REPO_ROOT),
        ],
        check=True,
        capture_output=True,
        cwd=tmp_path,
    )
    (wheel,) = tmp_path.glob("architect_k-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for data in ("rules.yaml", "scars.jsonl", "rules.schema.json", "scars.schema.json"):
        assert f"architect_k/scar_ledger/{data}" in names
    sources = {
        str(path.relative_to(REPO_ROOT / "src"))
        for path in (REPO_ROOT / "src" / "architect_k").rglob("*.py")
    }
    assert sources <= names

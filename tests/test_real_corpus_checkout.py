"""The corpus checkout (tests/real_corpus/checkout.py) writes a repository whole or not at all,
and a repository it cannot bring is named with git's reason, the others still checked out."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from architect_k import REPO_ROOT
from tests.conftest import load_module

checkout = load_module("corpus_checkout", REPO_ROOT / "tests" / "real_corpus" / "checkout.py")


def _mirror(root: Path, name: str) -> tuple[Path, str]:
    """A bare mirror in the `<name>.git` layout with one commit; returns it and the commit."""
    work = root / "work"
    work.mkdir()
    (work / "src").mkdir()
    (work / "src" / "train.py").write_text("print('hi')\n", encoding="utf-8")
    (work / "README.md").write_text("# demo\n", encoding="utf-8")
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "-C", str(work)]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "."], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "one"], check=True)
    commit = subprocess.run(
        [*git, "rev-parse", "HEAD"], check=True, capture_output=True, text=True
    ).stdout.strip()
    mirrors = root / "mirrors"
    mirrors.mkdir()
    subprocess.run(["git", "clone", "-q", "--bare", str(work), str(mirrors / f"{name}.git")],
                   check=True)  # fmt: skip
    return mirrors, commit


def test_a_repository_is_exported_at_its_commit_from_the_mirror(tmp_path: Path) -> None:
    mirrors, commit = _mirror(tmp_path, "demo")
    entry = {"name": "demo", "url": "https://example.invalid/o/demo", "commit": commit}

    status = checkout.checkout(entry, mirrors, tmp_path / "corpus")

    assert status.startswith(f"demo: 2 files at {commit[:12]}")
    assert (tmp_path / "corpus" / "demo" / "src" / "train.py").read_text() == "print('hi')\n"
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == ["demo"]


def test_a_commit_the_mirror_lacks_is_named_and_nothing_is_written(tmp_path: Path) -> None:
    mirrors, _ = _mirror(tmp_path, "demo")
    entry = {"name": "demo", "url": "https://example.invalid/o/demo", "commit": "ab" * 20}

    with pytest.raises(checkout.CheckoutError, match=r"reading commit abababababab of demo"):
        checkout.checkout(entry, mirrors, tmp_path / "corpus")

    assert not (tmp_path / "corpus").exists()


def test_an_unreachable_repository_fails_the_run_and_the_others_are_still_checked_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    mirrors, commit = _mirror(tmp_path, "demo")
    unreachable = tmp_path / "nowhere" / "gone"
    monkeypatch.setattr(
        checkout.yaml,
        "safe_load",
        lambda _text: {"repos": [
            {"name": "gone", "url": str(unreachable), "commit": commit},
            {"name": "demo", "url": "https://example.invalid/o/demo", "commit": commit},
        ]},
    )  # fmt: skip

    code = checkout.main(["--mirror", str(mirrors), "--dest", str(tmp_path / "corpus")])

    err = capsys.readouterr().err
    assert code == 1
    assert f"gone: not checked out: no mirror of gone under {mirrors}, and cloning" in err
    assert "1 of 2 repositories could not be checked out" in err
    assert (tmp_path / "corpus" / "demo" / "README.md").is_file()
    assert not (tmp_path / "corpus" / "gone").exists()

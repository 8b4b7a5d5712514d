"""The Scar Ledger's hash chain: tamper detection, exit codes, locked and atomic appends."""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import architect_k
from architect_k.ledger import chain
from architect_k.ledger.cli import main
from architect_k.ledger.errors import InvalidScarError, LedgerTamperedError

SHIPPED = architect_k.SCAR_LEDGER_DIR / "scars.jsonl"
SRC = Path(architect_k.__file__).resolve().parents[1]

FIELDS: dict[str, Any] = {
    "timestamp_utc": "2025-09-01T12:00:00Z",
    "failure_taxonomy": "OOM_Error",
    "failure_subtype": "Concurrency_Probe",
    "context_vector": "pytorch→DDP→gradient_accumulation_steps=8",
    "severity": "P2",
    "production_impact": "none_probe_entry",
    "immune_response": "RULE_R9_ENFORCE: probe",
    "fipi_deflection_radius": 0.5,
    "debridement_ttl_days": 30,
    "linked_rule": "R9",
}


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    copy = tmp_path / "scars.jsonl"
    copy.write_bytes(SHIPPED.read_bytes())
    return copy


def lines_of(path: Path) -> list[bytes]:
    return path.read_bytes().splitlines(keepends=True)


def write_lines(path: Path, lines: list[bytes]) -> None:
    path.write_bytes(b"".join(lines))


def problem_of(path: Path) -> tuple[int, str]:
    result = chain.verify(path)
    assert result.problem is not None, "tampering went unnoticed"
    return result.problem.line, result.problem.kind


def test_shipped_ledger_is_intact() -> None:
    result = chain.verify(SHIPPED)
    assert result.ok, result.problem
    assert len(result.entries) == 10
    assert result.entries[0].prev_hash == chain.GENESIS
    for earlier, later in zip(result.entries, result.entries[1:], strict=False):
        assert later.prev_hash == earlier.entry_hash


def test_edited_value_is_caught_on_its_own_line(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines[4] = lines[4].replace(b'"severity": "P0"', b'"severity": "P3"')
    write_lines(ledger, lines)
    assert problem_of(ledger) == (5, "edited")


def test_edit_with_recomputed_entry_hash_breaks_the_next_link(ledger: Path) -> None:
    lines = lines_of(ledger)
    entry = json.loads(lines[2])
    entry["fipi_deflection_radius"] = 0.1
    entry["entry_hash"] = chain.compute_entry_hash(entry)
    lines[2] = chain.serialize(entry)
    write_lines(ledger, lines)
    assert problem_of(ledger) == (4, "deleted")


def test_deleted_line_is_named(ledger: Path) -> None:
    lines = lines_of(ledger)
    del lines[6]
    write_lines(ledger, lines)
    assert problem_of(ledger) == (7, "deleted")


def test_deleted_first_line_is_named(ledger: Path) -> None:
    write_lines(ledger, lines_of(ledger)[1:])
    assert problem_of(ledger) == (1, "deleted")


def test_reordered_lines_are_named(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines[3], lines[4] = lines[4], lines[3]
    write_lines(ledger, lines)
    assert problem_of(ledger) == (4, "reordered")


def test_duplicated_line_is_named(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines.insert(3, lines[2])
    write_lines(ledger, lines)
    assert problem_of(ledger) == (4, "inserted")


def test_bad_json_line_is_named(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines[1] = lines[1][:40] + b"\n"
    write_lines(ledger, lines)
    assert problem_of(ledger) == (2, "bad JSON")


def test_repeated_key_is_bad_json(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines[0] = lines[0].replace(
        b'{"scar_id": "SCA-0009",', b'{"scar_id": "SCA-0009", "scar_id": "X",'
    )
    write_lines(ledger, lines)
    assert problem_of(ledger) == (1, "bad JSON")


def test_schema_violation_is_named(ledger: Path) -> None:
    lines = lines_of(ledger)
    entry = json.loads(lines[7])
    entry["fipi_deflection_radius"] = 1.7
    lines[7] = chain.serialize(entry)
    write_lines(ledger, lines)
    result = chain.verify(ledger)
    assert result.problem is not None
    assert (result.problem.line, result.problem.kind) == (8, "schema violation")
    assert "fipi_deflection_radius" in result.problem.detail


def test_hand_written_encoding_is_caught(ledger: Path) -> None:
    lines = lines_of(ledger)
    entry = json.loads(lines[1])
    entry["martensite_phase_encoding"] = "hypervec_7f3a9d00000000c2"
    entry["entry_hash"] = chain.compute_entry_hash(entry)
    lines[1] = chain.serialize(entry)
    write_lines(ledger, lines)
    line, kind = problem_of(ledger)
    assert (line, kind) == (2, "edited")


def test_whitespace_edit_is_caught(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines[5] = lines[5].replace(b'"severity": ', b'"severity":  ')
    write_lines(ledger, lines)
    assert problem_of(ledger) == (6, "edited")


def test_cut_off_last_line_is_named(ledger: Path) -> None:
    data = ledger.read_bytes()
    ledger.write_bytes(data[:-30])
    assert problem_of(ledger) == (10, "partial")


def test_pinned_head_catches_truncated_tail(ledger: Path) -> None:
    head = chain.verify(ledger).head
    write_lines(ledger, lines_of(ledger)[:-1])
    assert chain.verify(ledger).ok  # a shorter chain is still a chain ...
    result = chain.verify(ledger, expect=head)  # ... which is why heads get pinned
    assert result.problem is not None
    assert result.problem.kind == "truncated"


def test_verify_cli_exit_codes(
    ledger: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["verify", str(ledger)]) == 0
    assert "10 entries" in capsys.readouterr().out

    lines = lines_of(ledger)
    lines[2], lines[3] = lines[3], lines[2]
    write_lines(ledger, lines)
    assert main(["verify", str(ledger)]) == 1
    err = capsys.readouterr().err
    assert "line 3: reordered" in err
    assert "Traceback" not in err

    assert main(["verify", str(tmp_path / "missing.jsonl")]) == 2
    assert "cannot open ledger" in capsys.readouterr().err
    assert main(["verify", str(tmp_path)]) == 2
    assert main(["verify", "--no-such-flag"]) == 2


def test_verify_cli_pinned_head(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    head = chain.verify(ledger).head
    assert main(["verify", str(ledger), "--head", head]) == 0
    write_lines(ledger, lines_of(ledger)[:-2])
    assert main(["verify", str(ledger), "--head", head]) == 1
    assert "line 9: truncated" in capsys.readouterr().err


def test_verify_cli_json_names_the_problem(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_lines(ledger, lines_of(ledger)[:4] + lines_of(ledger)[5:])
    assert main(["verify", str(ledger), "--format", "json"]) == 1
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False
    assert payload["problem"]["line"] == 5
    assert payload["problem"]["kind"] == "deleted"


def test_mint_appends_a_sealed_scar_with_the_next_id(ledger: Path) -> None:
    scar = chain.mint(ledger, {k: v for k, v in FIELDS.items() if k != "timestamp_utc"})
    assert scar.scar_id == "SCA-0202"
    assert scar.prev_hash == chain.load(ledger)[-2].entry_hash
    assert chain.verify(ledger).ok
    with pytest.raises(InvalidScarError, match="already in the ledger"):
        chain.mint(ledger, {**FIELDS, "scar_id": "SCA-0103"})
    with pytest.raises(InvalidScarError, match="severity"):
        chain.mint(ledger, {**FIELDS, "severity": "P9"})
    with pytest.raises(InvalidScarError, match="not the encoding"):
        chain.mint(ledger, {**FIELDS, "martensite_phase_encoding": "hypervec_0000000000000000"})


def test_nothing_is_appended_to_a_tampered_ledger(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines[0] = lines[0].replace(b'"P0"', b'"P1"')
    write_lines(ledger, lines)
    before = ledger.read_bytes()
    with pytest.raises(LedgerTamperedError):
        chain.mint(ledger, FIELDS)
    assert ledger.read_bytes() == before


def test_fast_append_refuses_a_tampered_or_cut_tail(ledger: Path) -> None:
    lines = lines_of(ledger)
    lines[-1] = lines[-1].replace(b'"P0"', b'"P1"')
    write_lines(ledger, lines)
    before = ledger.read_bytes()
    with pytest.raises(LedgerTamperedError, match="edited"):
        chain.append_entry(ledger, {**FIELDS, "scar_id": "SCA-0999"})
    ledger.write_bytes(before[:-1])
    with pytest.raises(LedgerTamperedError, match="partial"):
        chain.append_entry(ledger, {**FIELDS, "scar_id": "SCA-0999"})
    assert ledger.read_bytes() == before[:-1]


def test_failed_write_leaves_no_half_line(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = ledger.read_bytes()
    real_write = os.write
    calls = {"n": 0}

    def flaky_write(fd: int, data: bytes | memoryview) -> int:
        # First call writes part of the line, the second fails like a full disk.
        calls["n"] += 1
        if calls["n"] == 1:
            return real_write(fd, bytes(data[:25]))
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "write", flaky_write)
    with pytest.raises(OSError, match="No space"):
        chain.append_entry(ledger, {**FIELDS, "scar_id": "SCA-0999"})
    monkeypatch.undo()
    assert ledger.read_bytes() == before
    assert chain.verify(ledger).ok


_APPENDER = """
import sys, time
from pathlib import Path
from architect_k.ledger.chain import append_entry
path, tag, count, fields = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), eval(sys.argv[4])
(path.parent / f"ready-{tag}").touch()
while not (path.parent / "go").exists():
    time.sleep(0.001)
for i in range(count):
    append_entry(path, {**fields, "scar_id": f"SCA-{tag}{i:04d}"})
"""


def _spawn(script: str, *args: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    return subprocess.Popen([sys.executable, "-c", script, *args], env=env)


def _wait_ready(directory: Path, tags: list[str]) -> None:
    deadline = time.monotonic() + 60
    while not all((directory / f"ready-{tag}").exists() for tag in tags):
        assert time.monotonic() < deadline, "appender processes never started"
        time.sleep(0.01)
    (directory / "go").touch()


def test_two_processes_appending_1000_each_lose_nothing(ledger: Path) -> None:
    tags = ["1", "2"]
    procs = [_spawn(_APPENDER, str(ledger), tag, "1000", repr(FIELDS)) for tag in tags]
    _wait_ready(ledger.parent, tags)
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0]

    result = chain.verify(ledger)
    assert result.ok, result.problem
    ids = [scar.scar_id for scar in result.entries[10:]]
    assert len(ids) == 2000
    assert set(ids) == {f"SCA-{tag}{i:04d}" for tag in tags for i in range(1000)}
    # Each writer's entries stay in its own order, and the two really did interleave.
    for tag in tags:
        mine = [scar_id for scar_id in ids if scar_id.startswith(f"SCA-{tag}")]
        assert mine == sorted(mine)
    switches = sum(1 for a, b in itertools.pairwise(ids) if a[4] != b[4])
    assert switches > 1


_MINTER = """
import sys, time
from pathlib import Path
from architect_k.ledger.chain import mint
path, tag, count, fields = Path(sys.argv[1]), sys.argv[2], int(sys.argv[3]), eval(sys.argv[4])
(path.parent / f"ready-{tag}").touch()
while not (path.parent / "go").exists():
    time.sleep(0.001)
for i in range(count):
    mint(path, {**fields, "failure_subtype": f"Writer_{tag}"})
"""


def test_concurrent_mints_never_reuse_an_id(ledger: Path) -> None:
    tags = ["a", "b"]
    procs = [_spawn(_MINTER, str(ledger), tag, "40", repr(FIELDS)) for tag in tags]
    _wait_ready(ledger.parent, tags)
    assert [proc.wait(timeout=120) for proc in procs] == [0, 0]
    entries = chain.load(ledger)
    minted = [scar.scar_id for scar in entries[10:]]
    assert minted == [f"SCA-{n:04d}" for n in range(202, 282)]


def test_writer_waiting_on_a_replaced_file_follows_the_new_one(ledger: Path) -> None:
    with chain.locked(ledger):
        writer = _spawn(_APPENDER, str(ledger), "3", "1", repr(FIELDS))
        _wait_ready(ledger.parent, ["3"])
        time.sleep(0.3)  # the writer is now blocked on this inode's lock
        # Replace the file the way debridement does, while the writer waits on the old one.
        replacement = ledger.with_suffix(".new")
        replacement.write_bytes(b"".join(lines_of(ledger)[:5]))
        os.replace(replacement, ledger)
    assert writer.wait(timeout=60) == 0
    result = chain.verify(ledger)
    assert result.ok, result.problem
    assert [scar.scar_id for scar in result.entries][-1] == "SCA-30000"
    assert len(result.entries) == 6


def test_empty_and_default_ledgers(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert chain.verify(empty).ok and chain.verify(empty).head == chain.GENESIS
    assert main(["verify"]) == 0  # the shared ledger shipped with architect-k
    assert str(SHIPPED) in capsys.readouterr().out
    first = chain.mint(tmp_path / "new.jsonl", FIELDS)
    assert (first.scar_id, first.prev_hash) == ("SCA-0001", chain.GENESIS)

"""How the audit report reads: colour only on a terminal, and SARIF help that carries the scar."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from architect_k import SCAR_LEDGER_DIR
from architect_k.audit import run_audit
from architect_k.audit.cli import main
from architect_k.audit.registry import load_rules

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
#: A blocking R5 finding and a warning-level R9 finding in one tree.
MIXED = (FIXTURES / "R5" / "violating" / "latest_tag", FIXTURES / "R9" / "violating" / "hf_args")


def _on_a_terminal(*argv: str, env: dict[str, str] | None = None) -> str:
    """Run `architect-k audit` with stdout on a pseudo-terminal; returns what it printed."""
    leader, follower = pty.openpty()
    with subprocess.Popen(
        [sys.executable, "-m", "architect_k", "audit", *argv],
        stdout=follower,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
    ) as process:
        os.close(follower)
        chunks = []
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        process.wait(timeout=60)
    os.close(leader)
    return b"".join(chunks).decode()


def test_a_terminal_gets_colour_and_a_pipe_or_no_color_gets_plain_text(
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = str(FIXTURES / "R5" / "violating" / "latest_tag")
    coloured = _on_a_terminal(folder, "--rules", "R5")
    assert "\033[1m\033[31mR5 REJECT [blocking]\033[0m" in coloured
    assert "\033[1m\033[31mFAIL\033[0m" in coloured
    assert "\033[" not in _on_a_terminal(folder, "--rules", "R5", env={"NO_COLOR": "1"})
    assert main([folder, "--rules", "R5"]) == 1
    piped = capsys.readouterr().out
    assert "\033[" not in piped
    assert piped.startswith("R5 REJECT [blocking]")


def test_colour_follows_severity_and_the_words_stay_the_same() -> None:
    from architect_k.audit.report import to_text

    for folder in MIXED:
        result = run_audit(folder)
        plain, coloured = to_text(result), to_text(result, colour=True)
        for finding in result.findings:
            colour = "\033[31m" if finding.rule.blocking else "\033[33m"
            assert f"{colour}{finding.rule.id} {finding.rule.action}" in coloured
        verdict = "\033[32mPASS" if result.exit_code == 0 else "\033[31mFAIL"
        assert verdict in coloured
        # Stripping the codes gives back the plain report, word for word.
        for code in ("\033[31m", "\033[33m", "\033[32m", "\033[1m", "\033[2m", "\033[0m"):
            coloured = coloured.replace(code, "")
        assert coloured == plain


def test_sarif_help_carries_each_rule_scar_from_the_ledger(tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    assert main([str(MIXED[0]), "--format", "sarif", "--output", str(out)]) == 1
    driver = json.loads(out.read_text())["runs"][0]["tool"]["driver"]
    scars: dict[str, dict[str, str]] = {}
    for line in (SCAR_LEDGER_DIR / "scars.jsonl").read_text().splitlines():
        entry = json.loads(line)
        scars[entry["scar_id"]] = entry  # later entries revise earlier ones
    rules = load_rules()
    assert len(driver["rules"]) == len(rules)
    for meta in driver["rules"]:
        rule = rules[meta["id"]]
        help_ = meta["help"]
        assert help_["markdown"].startswith(f"**Fix:** {rule.remediation}")
        assert rule.origin_summary in help_["text"]
        if rule.exception_tag:
            assert rule.exception_tag in help_["markdown"]
        if rule.scar is None:
            assert "Why: scar" not in help_["markdown"]
            continue
        scar = scars[rule.scar]
        for fact in ("production_impact", "failure_subtype", "immune_response", "severity"):
            assert scar[fact] in help_["text"], (rule.id, fact)
            assert scar[fact] in help_["markdown"], (rule.id, fact)

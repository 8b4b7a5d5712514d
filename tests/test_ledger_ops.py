"""Ledger operations: mint from the CLI, debridement, and Nitinol reflection."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import architect_k
from architect_k.ledger import chain, reflect
from architect_k.ledger.cli import main
from architect_k.ledger.debride import debride

SHIPPED = architect_k.SCAR_LEDGER_DIR / "scars.jsonl"
FIXTURES = Path(__file__).parent / "fixtures" / "ledger"
NOW = datetime(2026, 1, 15, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def ledger(tmp_path: Path) -> Path:
    copy = tmp_path / "scars.jsonl"
    copy.write_bytes(SHIPPED.read_bytes())
    return copy


def scar_fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "timestamp_utc": "2024-01-01T00:00:00Z",
        "failure_taxonomy": "Latency_Regression",
        "failure_subtype": "Cold_Cache",
        "context_vector": "fastapi→cold_cache→p99_breach",
        "severity": "P3",
        "production_impact": "p99_latency_210ms_for_2_hours",
        "immune_response": "Warm the cache in the readiness probe",
        "fipi_deflection_radius": 0.1,
        "debridement_ttl_days": 30,
        "linked_rule": None,
    }
    fields.update(changes)
    return fields


# --- mint -----------------------------------------------------------------------------------


def test_mint_cli_from_options(ledger: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "mint",
            "--ledger", str(ledger),
            "--failure-taxonomy", "Image_Mutation",
            "--failure-subtype", "Tag_Overwritten_In_Registry",
            "--context", "docker -> image_tag=v1.2 -> registry_overwrite",
            "--severity", "P1",
            "--impact", "Two_model_versions_served_under_one_tag",
            "--immune-response", "RULE_R5_ENFORCE: pin by digest",
            "--radius", "0.8",
            "--ttl-days", "365",
            "--linked-rule", "R5",
            "--timestamp", "2025-10-01T08:00:00Z",
        ]
    )  # fmt: skip
    assert code == 0
    assert "minted SCA-0202" in capsys.readouterr().out
    scar = chain.load(ledger)[-1]
    assert scar.context_vector == "docker→image_tag=v1.2→registry_overwrite"
    assert scar.martensite_phase_encoding.startswith("hypervec_")


def test_mint_cli_from_json_and_its_errors(
    ledger: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = tmp_path / "scar.json"
    source.write_text(json.dumps(scar_fields(linked_rule="R11")), encoding="utf-8")
    assert main(["mint", "--ledger", str(ledger), "--from-json", str(source)]) == 0
    assert chain.load(ledger)[-1].linked_rule == "R11"

    source.write_text(json.dumps(scar_fields(severity="urgent")), encoding="utf-8")
    assert main(["mint", "--ledger", str(ledger), "--from-json", str(source)]) == 2
    assert "severity" in capsys.readouterr().err
    source.write_text("{not json", encoding="utf-8")
    assert main(["mint", "--ledger", str(ledger), "--from-json", str(source)]) == 2
    assert "not valid JSON" in capsys.readouterr().err

    lines = ledger.read_bytes().splitlines(keepends=True)
    ledger.write_bytes(b"".join(lines[1:]))
    source.write_text(json.dumps(scar_fields()), encoding="utf-8")
    assert main(["mint", "--ledger", str(ledger), "--from-json", str(source)]) == 1
    err = capsys.readouterr().err
    assert "TAMPERED" in err and "line 1" in err and "Traceback" not in err


# --- debride --------------------------------------------------------------------------------


def test_debride_prunes_only_expired_weak_unlinked_scars(ledger: Path) -> None:
    doomed = chain.mint(ledger, scar_fields())
    linked = chain.mint(ledger, scar_fields(linked_rule="R11", failure_subtype="Linked"))
    strong = chain.mint(ledger, scar_fields(fipi_deflection_radius=0.2, failure_subtype="Strong"))
    fresh = chain.mint(
        ledger, scar_fields(timestamp_utc="2026-01-01T00:00:00Z", failure_subtype="Fresh")
    )
    # A scar that was reinforced recently counts from its latest entry: it is not expired.
    revived = chain.mint(ledger, scar_fields(failure_subtype="Revived"))
    chain.revise(ledger, revived.scar_id, lambda s: {}, now=NOW)
    before = chain.load(ledger)

    report = debride(ledger, now=NOW)

    assert [item["scar_id"] for item in report.pruned] == [doomed.scar_id]
    assert report.pruned[0]["entries"] == [{"line": 11, "entry_hash": doomed.entry_hash}]
    after = chain.load(ledger)
    assert chain.verify(ledger).ok
    assert [s.scar_id for s in after] == [s.scar_id for s in before if s.scar_id != doomed.scar_id]
    kept = {s.scar_id for s in after}
    assert {linked.scar_id, strong.scar_id, fresh.scar_id, revived.scar_id} <= kept
    assert report.head_before == before[-1].entry_hash
    assert report.head_after == after[-1].entry_hash != report.head_before
    # The revision still points at its (re-hashed) predecessor.
    revision = after[-1]
    assert revision.supersedes == after[-2].entry_hash


def test_debride_dry_run_and_nothing_to_do(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    chain.mint(ledger, scar_fields())
    before = ledger.read_bytes()
    assert (
        main(["debride", "--ledger", str(ledger), "--now", "2026-01-15T12:00:00Z", "--dry-run"])
        == 0
    )
    assert "would prune SCA-0202" in capsys.readouterr().out
    assert ledger.read_bytes() == before

    report_file = ledger.parent / "debride.json"
    args = ["debride", "--ledger", str(ledger), "--now", "2026-01-15T12:00:00Z"]
    assert main([*args, "--report", str(report_file)]) == 0
    assert json.loads(report_file.read_text())["pruned"][0]["scar_id"] == "SCA-0202"
    assert ledger.read_bytes() == SHIPPED.read_bytes()  # the shipped chain is re-sealed unchanged

    capsys.readouterr()
    assert main([*args, "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["rewritten"] is False


def test_shipped_scars_are_never_debrided(ledger: Path) -> None:
    far_future = datetime(2100, 1, 1, tzinfo=UTC)
    assert debride(ledger, now=far_future).pruned == []


def test_debride_refuses_a_tampered_ledger(
    ledger: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = ledger.read_bytes().splitlines(keepends=True)
    lines[2], lines[3] = lines[3], lines[2]
    ledger.write_bytes(b"".join(lines))
    before = ledger.read_bytes()
    assert main(["debride", "--ledger", str(ledger)]) == 1
    assert "line 3: reordered" in capsys.readouterr().err
    assert ledger.read_bytes() == before
    assert main(["debride", "--ledger", str(ledger), "--now", "yesterday"]) == 2


# --- reflect --------------------------------------------------------------------------------


def run_reflect(repo: Path, ledger: Path, *inputs: str) -> int:
    return main(
        ["reflect", str(repo), "--ledger", str(ledger), "--now", "2026-01-15T12:00:00Z", *inputs]
    )


def test_reflect_reinforces_known_scars_and_mints_novel_ones(
    ledger: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    code = run_reflect(
        repo,
        ledger,
        "--psi", str(FIXTURES / "psi_alert.json"),
        "--psi", str(FIXTURES / "psi_stable.json"),
        "--ci-log", str(FIXTURES / "ci_cuda_oom.log"),
        "--ci-log", str(FIXTURES / "ci_coverage.log"),
        "--ci-log", str(FIXTURES / "ci_unknown_exception.log"),
        "--ci-log", str(FIXTURES / "ci_clean.log"),
    )  # fmt: skip
    assert code == 0
    out = capsys.readouterr().out
    assert "reinforced SCA-0103 (R7): OOM_Error" not in out  # the scar's own rule is R9
    assert "reinforced SCA-0103 (R9)" in out

    report = json.loads((repo / reflect.REPORT_NAME).read_text(encoding="utf-8"))
    actions = {(o["failure_taxonomy"], o["action"], o["scar_id"]) for o in report["observations"]}
    assert actions == {
        ("Model_Drift", "reinforced", "SCA-0201"),
        ("OOM_Error", "reinforced", "SCA-0103"),
        ("Untested_Deployment", "reinforced", "SCA-0009"),
        ("Unclassified_Failure", "minted", "SCA-L0001"),
    }
    radius = {o["scar_id"]: (o["radius_before"], o["radius_after"]) for o in report["observations"]}
    assert radius["SCA-0201"] == (0.92, 0.97)
    assert radius["SCA-0103"] == (0.78, 0.83)
    assert radius["SCA-0009"] == (0.9, 0.95)
    assert report["minted"] == ["SCA-L0001"]
    assert {q["verdict"] for q in report["quiet_inputs"]} == {"stable", "no failure found"}
    drift = next(o for o in report["observations"] if o["scar_id"] == "SCA-0201")
    assert "monthly_spend=0.310" in drift["evidence"]

    # The shared ledger is untouched; the local one verifies against it.
    assert ledger.read_bytes() == SHIPPED.read_bytes()
    local = repo / reflect.LOCAL_LEDGER
    base = chain.load(ledger)
    entries = chain.load(local, base=base)
    assert report["local_ledger_head"] == entries[-1].entry_hash
    novel = next(s for s in entries if s.scar_id == "SCA-L0001")
    assert novel.failure_subtype == "ZeroDivisionError"
    assert novel.linked_rule is None and novel.fipi_deflection_radius == 0.5
    assert main(["verify", str(local), "--base", str(ledger)]) == 0
    assert main(["verify", str(local)]) == 1  # without its base the supersedes links dangle

    # The same failures again: the novel scar is now known, and radii keep climbing to 1.0.
    for _ in range(2):
        assert run_reflect(
            repo,
            ledger,
            "--ci-log", str(FIXTURES / "ci_unknown_exception.log"),
            "--psi", str(FIXTURES / "psi_alert.json"),
        ) == 0  # fmt: skip
    report = json.loads((repo / reflect.REPORT_NAME).read_text(encoding="utf-8"))
    assert report["minted"] == []
    assert set(report["reinforced"]) == {"SCA-L0001", "SCA-0201"}
    live = chain.current([*base, *chain.load(local, base=base)])
    assert live["SCA-L0001"].fipi_deflection_radius == 0.6
    assert live["SCA-0201"].fipi_deflection_radius == 1.0  # 0.92 + 3 x 0.05, capped


def test_reflect_classifies_ci_failures_by_the_taxonomy() -> None:
    cases = {
        "pandera.errors.SchemaError: column 'income' has null values": ("Schema_Violation", "R3"),
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io": (
            "Dependency_Drift",
            "R12",
        ),
        'error: deployment "churn" exceeded its progress deadline': ("Deployment_Blackout", "R6"),
        "RuntimeError: index_add_cuda_ does not have a deterministic implementation": (
            "Reproducibility_Failure",
            "R8",
        ),
        "WRN leaks found: 2": ("Credential_Exposure", "R2"),
        "model_card.md not found before registry push": ("Audit_Failure", "R10"),
        "Coverage failure: total of 71 is less than fail-under=90": ("Untested_Deployment", "R1"),
    }
    for line, (taxonomy, rule) in cases.items():
        found = reflect.classify_log(f"step 1\n{line}\nstep 2\n", "ci.log")
        assert [(o.failure.taxonomy, o.failure.rule) for o in found] == [(taxonomy, rule)], line
        assert found[0].evidence == line


def test_reflect_mints_a_class_with_no_scar_yet(ledger: Path, tmp_path: Path) -> None:
    log = tmp_path / "secrets.log"
    log.write_text("gitleaks v8.18\nWRN leaks found: 1\n", encoding="utf-8")
    assert run_reflect(tmp_path, ledger, "--ci-log", str(log)) == 0
    minted = chain.load(tmp_path / reflect.LOCAL_LEDGER, base=chain.load(ledger))
    assert [(s.scar_id, s.failure_taxonomy, s.linked_rule) for s in minted] == [
        ("SCA-L0001", "Credential_Exposure", "R2")
    ]


def test_reflect_bad_input_changes_nothing(
    ledger: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    oom = str(FIXTURES / "ci_cuda_oom.log")
    bad = str(FIXTURES / "psi_bad_verdict.json")
    assert run_reflect(tmp_path, ledger, "--ci-log", oom, "--psi", bad) == 2
    assert "verdict must be" in capsys.readouterr().err
    assert run_reflect(tmp_path, ledger, "--psi", str(tmp_path / "missing.json")) == 2
    assert run_reflect(tmp_path, ledger) == 2
    assert "nothing to reflect on" in capsys.readouterr().err
    assert run_reflect(tmp_path / "no-repo", ledger, "--ci-log", oom) == 2
    assert not (tmp_path / reflect.LOCAL_LEDGER).exists()
    assert not (tmp_path / reflect.REPORT_NAME).exists()

    lines = ledger.read_bytes().splitlines(keepends=True)
    ledger.write_bytes(b"".join(lines[:3] + lines[4:]))
    assert run_reflect(tmp_path, ledger, "--ci-log", oom) == 1
    assert "line 4: deleted" in capsys.readouterr().err
    assert not (tmp_path / reflect.LOCAL_LEDGER).exists()


@pytest.mark.parametrize(
    "payload",
    [
        [],
        {"verdict": "alert"},
        {"verdict": "alert", "max_psi": True},
        {"verdict": "alert", "max_psi": -1},
        {"verdict": "alert", "max_psi": 0.4, "features": []},
        {"verdict": "alert", "max_psi": 0.4, "features": {"x": "high"}},
    ],
)
def test_psi_report_shape_is_checked(payload: Any) -> None:
    with pytest.raises(reflect.ReflectInputError):
        reflect.parse_psi_report(payload, "psi.json")


def test_invalid_mint_creates_no_ledger(tmp_path: Path) -> None:
    target = tmp_path / "new.jsonl"
    assert main(["mint", "--ledger", str(target), "--severity", "P1"]) == 2
    assert not target.exists()

"""Behaviour of `architect-k audit`: the fixture corpus, output formats, exit codes and --fix."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from architect_k import REPO_ROOT, SCAR_LEDGER_DIR
from architect_k.audit import run_audit
from architect_k.audit.cli import main
from architect_k.audit.registry import load_rules

FIXTURES = Path(__file__).parent / "fixtures" / "audit"
RULE_IDS = [f"R{i}" for i in range(1, 13)]


def _cases(kind: str) -> list[tuple[str, Path]]:
    out = []
    for rule in RULE_IDS:
        folder = FIXTURES / rule / kind
        out.extend((rule, case) for case in sorted(folder.iterdir()) if case.is_dir())
    return out


def _id(case: tuple[str, Path]) -> str:
    return f"{case[0]}-{case[1].name}"


VIOLATING = _cases("violating")
COMPLIANT = _cases("compliant")


# -- registry --------------------------------------------------------------------------------
def test_rules_yaml_validates_against_its_schema() -> None:
    data = yaml.safe_load((SCAR_LEDGER_DIR / "rules.yaml").read_text())
    schema = json.loads((SCAR_LEDGER_DIR / "rules.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(data)
    assert [r["id"] for r in data["rules"]] == RULE_IDS


def test_registry_carries_the_scars() -> None:
    rules = load_rules()
    scars = {rid: r.scar for rid, r in rules.items()}
    assert scars == {
        "R1": "SCA-0009",
        "R2": None,
        "R3": "SCA-0031",
        "R4": "SCA-0047",
        "R5": "SCA-0058",
        "R6": "SCA-0072",
        "R7": "SCA-0103",
        "R8": "SCA-0089",
        "R9": "SCA-0103",
        "R10": "SCA-0134",
        "R11": "SCA-0201",
        "R12": "SCA-0155",
    }
    assert rules["R2"].origin_kind == "ethics"
    assert [r for r in rules.values() if not r.blocking] == [rules["R9"]]


def test_r1_condition_and_remediation_quote_the_minimum_its_check_enforces() -> None:
    """YAML cannot interpolate, so R1's prose restates `min_coverage`; the copies must agree."""
    r1 = load_rules()["R1"]
    minimum = r1.params["min_coverage"]
    assert f"< {minimum} %" in r1.condition
    assert f"--cov-fail-under={minimum}" in r1.remediation
    assert f"fail_under = {minimum}" in r1.remediation


def test_every_rule_has_several_fixtures_of_each_kind() -> None:
    for rule in RULE_IDS:
        assert len([c for r, c in VIOLATING if r == rule]) >= 3, rule
        assert len([c for r, c in COMPLIANT if r == rule]) >= 3, rule


# -- the corpus ------------------------------------------------------------------------------
@pytest.mark.parametrize("case", VIOLATING, ids=_id)
def test_violation_is_caught(case: tuple[str, Path]) -> None:
    rule, folder = case
    result = run_audit(folder, rules=[rule])
    assert result.findings, f"{rule} missed {folder.name}"
    assert {f.rule.id for f in result.findings} == {rule}
    expected = 0 if result.rules[0].severity == "warning" else 1
    assert result.exit_code == expected


@pytest.mark.parametrize("case", COMPLIANT, ids=_id)
def test_compliant_look_alike_is_clean(case: tuple[str, Path]) -> None:
    rule, folder = case
    result = run_audit(folder, rules=[rule])
    assert result.findings == [], [f.message for f in result.findings]
    assert result.exit_code == 0


def test_exception_tag_is_reported_as_suppressed() -> None:
    result = run_audit(FIXTURES / "R5" / "compliant" / "dev_only_tagged", rules=["R5"])
    assert [s.tag for s in result.suppressed] == ["[DEV_ONLY]"]


def test_tag_in_code_string_does_not_count(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text(
        'import pandas as pd\nfrom sklearn.svm import SVC\nNOTE = "[PROTOTYPE_NO_SCHEMA]"\n'
        'df = pd.read_csv("a.csv")\nSVC().fit(df, df["y"])\n'
    )
    assert run_audit(tmp_path, rules=["R3"]).findings


# -- command line and formats ----------------------------------------------------------------
def _json_main(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, dict]:
    code = main([*args, "--format", "json"])
    return code, json.loads(capsys.readouterr().out)


def test_json_output_shape_and_schema(capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = _json_main([str(FIXTURES / "R4" / "violating" / "map_means")], capsys)
    assert code == 1
    schema = json.loads((FIXTURES / "findings.schema.json").read_text())
    jsonschema.Draft202012Validator(schema).validate(payload)
    r4 = [f for f in payload["findings"] if f["rule"] == "R4"]
    assert r4 and r4[0]["scar"] == "SCA-0047" and r4[0]["severity"] == "blocking"
    message = r4[0]["message"]
    assert message.startswith("HALT: ")
    assert message.index("SCA-0047") < message.index("Fix:")


def test_warning_only_exits_zero(capsys: pytest.CaptureFixture[str]) -> None:
    folder = FIXTURES / "R9" / "violating" / "hf_args"
    code, payload = _json_main([str(folder), "--rules", "R9"], capsys)
    assert code == 0
    assert payload["findings"][0]["severity"] == "warning"
    assert payload["summary"]["passed"] is True


def test_sarif_validates_against_the_official_schema(tmp_path: Path) -> None:
    out = tmp_path / "report.sarif"
    code = main(
        [
            str(FIXTURES / "R5" / "violating" / "latest_tag"),
            "--format",
            "sarif",
            "--output",
            str(out),
        ]
    )
    assert code == 1
    log = json.loads(out.read_text())
    schema = json.loads((FIXTURES / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator(schema).validate(log)
    run = log["runs"][0]
    assert [r["id"] for r in run["tool"]["driver"]["rules"]] == RULE_IDS
    assert {res["ruleId"] for res in run["results"]} >= {"R5"}
    r5 = next(r for r in run["tool"]["driver"]["rules"] if r["id"] == "R5")
    assert r5["properties"]["scar"] == "SCA-0058"
    assert r5["help"]["text"].startswith(load_rules()["R5"].remediation)


def test_text_groups_by_rule_with_remediation(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(FIXTURES / "R6" / "violating" / "recreate"), "--rules", "R6"])
    out = capsys.readouterr().out
    assert code == 1
    assert out.startswith("R6 APPEND [blocking]")
    assert "SCA-0072" in out and "fix: " in out and "FAIL" in out


def test_rules_filter_and_clean_exit(capsys: pytest.CaptureFixture[str]) -> None:
    code, payload = _json_main(
        [str(FIXTURES / "R5" / "violating" / "latest_tag"), "--rules", "R6,R11"], capsys
    )
    assert payload["summary"]["rules_run"] == ["R6", "R11"]
    assert code == (1 if payload["findings"] else 0)


@pytest.mark.parametrize(
    "args",
    [["/nonexistent/architect-k/path"], [".", "--rules", "R99"], ["--format", "xml", "."], []],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "error" in err and "Traceback" not in err


def test_output_is_written_atomically(tmp_path: Path) -> None:
    out = tmp_path / "r.json"
    out.write_text("old")
    main(
        [
            str(FIXTURES / "R1" / "compliant" / "gated"),
            "--format",
            "json",
            "-o",
            str(out),
            "--rules",
            "R1",
        ]
    )
    assert json.loads(out.read_text())["summary"]["passed"] is True
    assert [p.name for p in tmp_path.iterdir()] == ["r.json"]


def test_config_excludes(tmp_path: Path) -> None:
    shutil.copytree(FIXTURES / "R5" / "violating" / "latest_tag", tmp_path / "repo")
    assert run_audit(tmp_path / "repo", rules=["R5"]).findings
    (tmp_path / "repo" / ".architect-k.yaml").write_text("exclude:\n  - deploy.yaml\n")
    assert not run_audit(tmp_path / "repo", rules=["R5"]).findings


def test_a_virtualenv_under_any_name_is_not_audited(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "R5" / "violating" / "latest_tag", repo / "tools-env" / "lib")
    assert run_audit(repo, rules=["R5"]).findings
    (repo / "tools-env" / "pyvenv.cfg").write_text("home = /usr/bin\n")
    assert not run_audit(repo, rules=["R5"]).findings


# -- R2 --fix --------------------------------------------------------------------------------
def test_fix_redacts_kubernetes_env_and_python(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(FIXTURES / "R2" / "violating" / "k8s_env_literal", repo)
    shutil.copy(FIXTURES / "R2" / "violating" / "python_keyword_and_attr" / "db.py", repo / "db.py")
    code = main([str(repo), "--rules", "R2", "--fix", "--format", "json"])
    payload = json.loads(capsys.readouterr().out)
    assert code == 0, payload
    changes = [f["change"] for f in payload["fixes"]]
    assert any("secretKeyRef" in c for c in changes)
    assert any('os.environ["PASSWORD"]' in c for c in changes)
    manifest = yaml.safe_load((repo / "deploy.yaml").read_text())
    env = manifest["spec"]["template"]["spec"]["containers"][0]["env"]
    ref = env[1]["valueFrom"]["secretKeyRef"]
    assert ref == {"name": "churn-api-secrets", "key": "mlflow-tracking-password"}
    assert env[0] == {"name": "LOG_LEVEL", "value": "info"}
    source = (repo / "db.py").read_text()
    assert "Tr0ub4dor" not in source and "correct-horse" not in source
    assert 'os.environ["DB_PASSWORD"]' in source and source.splitlines()[0] == "import os"
    compile(source, "db.py", "exec")


# Assembled at run time so that this file itself holds no credential-shaped literal (R2).
_SHAPES = [
    "AKIA" + "Q3ZB7RW4MNX2KD6T",
    "ghp_" + "a1B2" * 10,
    "xoxb-" + "1234567890-abcdefghij",
    "postgresql://svc:" + "Xk29fLq0vPz7@db/x",
    "hunter2" + "hunter2",
    "AKIA" + "IOSFODNN7EXAMPLE",
    "[UNK]",
    "testing",
]


@pytest.mark.parametrize("value", _SHAPES)
def test_interrogation_and_r2_are_one_detector(tmp_path: Path, value: str) -> None:
    from architect_k.credentials import credential_kind

    answer = f"password = {value}"
    (tmp_path / "settings.toml").write_text(f'password = "{value}"\n')
    in_file = bool(run_audit(tmp_path, rules=["R2"]).findings)
    assert in_file == (credential_kind(answer) is not None)


def test_the_audit_command_imports_only_stdlib_and_yaml() -> None:
    """The audit's CI job installs only PyYAML and architect-k (`pip install --no-deps`)."""
    probe = (
        "import sys\n"
        "import architect_k.cli, architect_k.audit.cli, architect_k.audit.rules\n"
        "from architect_k.audit.report import rule_help\n"
        "from architect_k.audit.registry import load_rules\n"
        "rule_help(load_rules()['R4'])  # reads the Scar Ledger for the SARIF help\n"
        "heavy = 'pydantic jsonschema copier detect_secrets rich pandas numpy'.split()\n"
        "loaded = [name for name in heavy if name in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=REPO_ROOT,
        env={"PYTHONPATH": str(REPO_ROOT / "src")},
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr


# -- real-repository classes: skips, streaming YAML, one finding per root cause ----------------
def test_every_file_not_read_is_reported_in_all_formats(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "big.yaml").write_text("a: " + "x" * 2_100_000 + "\n")
    (tmp_path / "chart.yaml").write_text("image: {{ .Values.image }}\n  bad: [\n")
    (tmp_path / "job.py").write_text("def f(:\n    {{ cookiecutter.name }}\n")
    (tmp_path / "crds.yaml").write_text(
        "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nspec: {}\n"
    )
    for version in ("v0.1.0", "v0.2.0"):
        (tmp_path / "install" / version).mkdir(parents=True)
        (tmp_path / "install" / version / "bundle.yaml").write_text("kind: Deployment\n")
    code, payload = _json_main([str(tmp_path)], capsys)
    assert code == 0  # nothing blocking: the archive's Deployment is not audited
    reasons = {s["path"]: s["reason"] for s in payload["skipped"]}
    assert reasons["big.yaml"].startswith("too large")
    assert reasons["chart.yaml"].startswith("YAML does not parse")
    assert reasons["job.py"].startswith("Python does not parse")
    assert reasons["crds.yaml"].startswith("CustomResourceDefinition not read")
    assert {"install/v0.1.0/", "install/v0.2.0/"} <= set(reasons)
    assert payload["summary"]["skipped"] == len(reasons) == 6
    assert "bundle.yaml" not in json.dumps(payload["findings"])
    main([str(tmp_path)])
    text = capsys.readouterr().out
    assert "not read in full, vendored release archive: 2" in text
    out = tmp_path / "r.sarif"
    main([str(tmp_path), "--format", "sarif", "--output", str(out)])
    notes = json.loads(out.read_text())["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 6


def test_two_version_folders_make_an_archive_one_does_not(tmp_path: Path) -> None:
    (tmp_path / "docs" / "3.3").mkdir(parents=True)
    (tmp_path / "docs" / "3.3" / "app.py").write_text("x = 1\n")
    (tmp_path / "release" / "v1.0.0").mkdir(parents=True)
    (tmp_path / "release" / "v1.0.0" / "a.yaml").write_text("a: 1\n")
    result = run_audit(tmp_path, rules=["R5"])
    assert result.skipped == [] and result.files_scanned == 2


@given(
    docs=st.lists(
        st.one_of(
            st.dictionaries(
                st.sampled_from(["kind", "name", "image", "spec", "ports"]),
                st.one_of(st.integers(0, 9), st.sampled_from(["a", "b: c", "---"])),
                min_size=1,
            ),
            st.just({"kind": "CustomResourceDefinition", "spec": {"x": 1}}),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_streamed_documents_match_pyyaml_with_exact_lines(docs: list[dict[str, object]]) -> None:
    from architect_k.audit import yamlio

    text = yaml.safe_dump_all(docs, explicit_start=True, sort_keys=False)
    skipped: list[int] = []
    loaded = yamlio.load_all(text, skipped)
    kept = [d for d in docs if d.get("kind") != "CustomResourceDefinition"]
    assert loaded == kept
    lines = text.splitlines()
    for doc in loaded:
        for key, line in doc.key_lines.items():
            assert lines[line - 1].startswith(f"{key}:")
    assert [lines[n - 1] for n in skipped] == ["kind: CustomResourceDefinition"] * (
        len(docs) - len(kept)
    )


def test_repeated_root_causes_are_one_finding(tmp_path: Path) -> None:
    wf = tmp_path / ".github" / "workflows"
    wf.mkdir(parents=True)
    jobs = "".join(
        f"  j{i}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: pip install torch\n"
        for i in range(3)
    )
    (wf / "ci.yml").write_text(f"name: ci\non: push\njobs:\n{jobs}")
    r12 = run_audit(tmp_path, rules=["R12"]).findings
    assert len(r12) == 1 and r12[0].line == 7
    assert r12[0].verdict.endswith("(again at line(s) 11, 15)")
    for i in range(3):
        (tmp_path / f"isvc{i}.yaml").write_text(
            "apiVersion: serving.kserve.io/v1beta1\nkind: InferenceService\n"
            f"metadata:\n  name: m{i}\nspec: {{}}\n"
        )
    r11 = run_audit(tmp_path, rules=["R11"]).findings
    assert len(r11) == 1 and "also 2 more inference workload(s)" in r11[0].verdict


def test_notebook_findings_name_the_cell_and_the_file_line() -> None:
    case = FIXTURES / "R2" / "violating" / "notebook_literal_key"
    [finding] = run_audit(case, rules=["R2"]).findings
    text = (case / "explore.ipynb").read_text().splitlines()
    assert "minio123" in text[finding.line - 1] and "(cell 2)" in finding.verdict


def test_notebook_code_is_one_module_located_by_cell() -> None:
    """Code cells are read as one module: a fit in cell 4 leaks into a split in cell 6 (the
    ``!pip``/``%matplotlib`` lines and the ``%%time`` cell are blanked, not fatal), and the
    finding names the .ipynb line, the cell and the line within it."""
    case = FIXTURES / "R4" / "violating" / "notebook_scaler_before_split"
    result = run_audit(case, rules=["R4"])
    [finding] = result.findings
    text = (case / "explore.ipynb").read_text().splitlines()
    assert "scaler.fit_transform(X)" in text[finding.line - 1]
    assert (
        finding.verdict.endswith("(cell 4, line 2)") and "split at cell 6 line 1" in finding.verdict
    )
    assert not result.skipped  # a %% cell magic is not Python, and not a skip either


def test_notebook_cell_that_does_not_parse_is_reported(tmp_path: Path) -> None:
    cells = [
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["from sklearn.model_selection import train_test_split\n", "X = load()\n"],
        },
        {
            "cell_type": "code",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            "source": ["files = !ls data\n"],
        },
    ]
    notebook = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    (tmp_path / "nb.ipynb").write_text(json.dumps(notebook, indent=1))
    skipped = run_audit(tmp_path, rules=["R4"]).skipped
    assert [(s.path, s.kind) for s in skipped] == [("nb.ipynb", "notebook cells not analysed")]
    assert skipped[0].detail == "cell(s) 2 not Python"


def test_setup_py_install_requires_located_at_its_entry() -> None:
    case = FIXTURES / "R12" / "violating" / "setup_py_ranges"
    [finding] = run_audit(case, rules=["R12"]).findings
    text = (case / "setup.py").read_text().splitlines()
    assert '"kserve>0.10.0"' in text[finding.line - 1]  # the entry, not the setup( call

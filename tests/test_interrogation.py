"""Every refusal rule of the interrogation, checked on the package API."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any, get_args

import pandas as pd
import pytest
import yaml

from architect_k import REPO_ROOT
from architect_k.audit.registry import load_rules
from architect_k.interrogation import (
    FIELDS,
    REQUIRED,
    SchemaSourceError,
    check_answers,
    default_task_type,
    load_schema_source,
    package_name_for,
    render_form,
    slug_for,
)
from architect_k.interrogation.answers import Answers
from architect_k.interrogation.fields import (
    CHOICES,
    DTYPES,
    GPU_VRAM_GB,
    MAX_COVERAGE,
    MIN_COVERAGE,
    GpuModel,
)
from architect_k.render import load_answers
from tests.conftest import EXAMPLES, EXAMPLES_DIR


@pytest.fixture
def churn() -> dict[str, Any]:
    return load_answers(EXAMPLES_DIR / "churn.yml")


def _problems(answers: dict[str, Any]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for problem in check_answers(answers, require_all=True):
        found.setdefault(problem.field, []).append(problem.message)
    return found


@pytest.mark.parametrize("name", EXAMPLES)
def test_every_example_is_accepted(name: str) -> None:
    assert check_answers(load_answers(EXAMPLES_DIR / f"{name}.yml"), require_all=True) == []


def test_nothing_answered_names_every_required_answer() -> None:
    problems = check_answers({}, require_all=True)
    assert {p.field for p in problems} == set(REQUIRED)
    assert all(p.missing for p in problems)
    form = render_form(problems)
    for invariant in ("dataset schema", "target metric", "deployment environment", "latency SLA"):
        assert invariant in form
    assert form.startswith("HALT: Requirements Interrogation Form (10 missing)")
    assert "Nothing was rendered" in form


def test_the_form_gives_why_and_an_example_for_each_answer() -> None:
    form = render_form(check_answers({"latency_p50_ms": "fast"}, require_all=False))
    assert "- latency_p50_ms" in form
    assert "problem: 'fast' is not a positive whole number" in form
    assert "why: The SLA the load test gates on" in form
    assert "latency_p50_ms: 12" in form


BAD_ANSWERS: list[tuple[str, Any, str]] = [
    ("project_name", "two\nlines", "one line"),
    ("project_name", "!!!", "at least one letter"),
    ("package_name", "Churn-Service", "lowercase letters"),
    ("package_name", "json", "would shadow"),
    ("package_name", "class", "would shadow"),
    ("task_type", "ranking", "not one of"),
    ("task_type", "regression", "regression needs an int or float target"),
    ("target_metric", "rmse", "does not measure binary_classification"),
    ("target_metric", "auc", "not one of"),
    ("metric_threshold", "high", "not a finite number"),
    ("metric_threshold", 1.5, "lies in (0, 1]"),
    ("metric_threshold", 0.5, "passes a model that guesses"),
    ("deployment_cloud", "ibm", "not one of"),
    ("deployment_compute", "nvidia-gtx-1080", "not one of"),
    ("kubernetes_version", "1.20", "not one of"),
    ("k8s_namespace", "ML_Production", "RFC 1123"),
    ("k8s_namespace", "n" * 56, "<namespace>-staging"),
    ("image_registry", "https://registry.example.com/ml", "without a scheme"),
    ("image_registry", "registry.example.com/ml:latest", "no tag or digest"),
    ("latency_p50_ms", 0, "not a positive whole number"),
    ("latency_p50_ms", True, "not a positive whole number"),
    ("latency_p99_ms", 5, "below p50"),
    ("throughput_rps", 12.5, "not a positive whole number"),
    ("auth_mode", "none", "there is no unauthenticated mode"),
    ("coverage_threshold", 80, "R1 refuses 80"),
    ("coverage_threshold", 101, "R1 refuses 101"),
    ("coverage_threshold", MAX_COVERAGE + 1, "more than the generated suite is proven to reach"),
    ("domain", "gaming", "not one of"),
    ("distributed", "fsdp", "not one of"),
    ("protected_attributes", "gender", "must be a list"),
    ("protected_attributes", ["gender"], "not a column of the schema"),
    ("protected_attributes", ["churned"], "is the target"),
    ("protected_attributes", ["monthly_charges"], "category or bool"),
    ("latency_p50", 12, "did you mean 'latency_p50_ms'"),
]


@pytest.mark.parametrize(("field", "value", "message"), BAD_ANSWERS)
def test_each_bad_answer_is_refused_with_its_reason(
    churn: dict[str, Any], field: str, value: Any, message: str
) -> None:
    churn[field] = value
    problems = _problems(churn)
    assert field in problems, problems
    assert any(message in text for text in problems[field]), problems[field]


def test_the_lowest_coverage_gate_accepted_is_the_one_r1_enforces(churn: dict[str, Any]) -> None:
    """A gate the interrogation lets through must pass R1's audit of the rendered service."""
    minimum = load_rules()["R1"].params["min_coverage"]
    churn["coverage_threshold"] = minimum
    assert "coverage_threshold" not in _problems(churn)
    churn["coverage_threshold"] = minimum - 1
    assert "coverage_threshold" in _problems(churn)


def _with_column(churn: dict[str, Any], name: str, spec: Any) -> dict[str, Any]:
    changed = copy.deepcopy(churn)
    changed["dataset_schema"]["columns"][name] = spec
    return changed


BAD_COLUMNS: list[tuple[str, Any, str]] = [
    ("2fast", {"dtype": "int"}, "must be identifiers"),
    ("lambda", {"dtype": "int"}, "must be identifiers"),
    ("age", "int", "give a mapping"),
    ("age", {"dtype": "integer"}, "dtype 'integer' is not one of"),
    ("age", {"dtype": "int", "min": 5, "max": 1}, "min 5 is above max 1"),
    ("age", {"dtype": "string", "min": 0}, "int and float columns only"),
    ("age", {"dtype": "float", "max": float("inf")}, "finite number"),
    ("plan", {"dtype": "category"}, "non-empty list of categories"),
    ("plan", {"dtype": "category", "categories": ["a", "a"]}, "categories repeat"),
    ("plan", {"dtype": "category", "categories": [1, 2]}, "non-empty strings"),
    ("plan", {"dtype": "int", "categories": ["a"]}, "category columns only"),
    ("plan", {"dtype": "int", "nullable": "yes"}, "nullable must be true or false"),
    ("plan", {"dtype": "int", "unit": "days"}, "unknown keys"),
]


@pytest.mark.parametrize(("name", "spec", "message"), BAD_COLUMNS)
def test_each_bad_column_is_refused(
    churn: dict[str, Any], name: str, spec: Any, message: str
) -> None:
    problems = _problems(_with_column(churn, name, spec))
    assert any(message in text for text in problems.get("dataset_schema", [])), problems


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ("churned", "give a mapping"),
        ({"target": "churned"}, "`columns` must map"),
        ({"target": "missing", "columns": {"a": {"dtype": "int"}}}, "is not one of the columns"),
        ({"columns": {"a": {"dtype": "int"}}}, "`target` must name"),
        (
            {
                "target": "a",
                "columns": {"a": {"dtype": "int", "nullable": True}, "b": {"dtype": "int"}},
            },
            "cannot be nullable",
        ),
        (
            {"target": "a", "columns": {"a": {"dtype": "string"}, "b": {"dtype": "int"}}},
            "must be int, float, bool or category",
        ),
        (
            {"target": "a", "columns": {"a": {"dtype": "bool"}, "b": {"dtype": "string"}}},
            "no usable feature",
        ),
        ({"target": "a", "columns": {"a": {"dtype": "bool"}}, "version": 2}, "unknown keys"),
    ],
)
def test_schema_shape_problems(churn: dict[str, Any], schema: Any, message: str) -> None:
    churn["dataset_schema"] = schema
    churn.pop("protected_attributes")
    problems = _problems(churn)
    assert any(message in text for text in problems.get("dataset_schema", [])), problems


def test_target_dtype_must_fit_the_task(churn: dict[str, Any]) -> None:
    churn["dataset_schema"]["columns"]["churned"] = {"dtype": "float"}
    churn["target_metric"] = "roc_auc"
    assert any("classification needs" in m for m in _problems(churn)["task_type"])
    churn["dataset_schema"]["columns"]["churned"] = {"dtype": "int"}
    assert any("names its classes by min and max" in m for m in _problems(churn)["task_type"])
    churn["dataset_schema"]["columns"]["churned"] = {"dtype": "int", "min": 0, "max": 1}
    assert "task_type" not in _problems(churn)


def test_finance_and_medical_need_protected_attributes(churn: dict[str, Any]) -> None:
    for domain in ("finance", "medical"):
        churn["domain"] = domain
        assert any("fairness audit" in m for m in _problems(churn)["protected_attributes"])
    churn["protected_attributes"] = ["contract"]
    assert "protected_attributes" not in _problems(churn)


def test_a_schema_whose_only_features_are_protected_is_refused(churn: dict[str, Any]) -> None:
    # Found by tests/test_answer_space.py: the service had nothing to log or monitor.
    churn["dataset_schema"]["columns"] = {
        "contract": churn["dataset_schema"]["columns"]["contract"],
        "churned": {"dtype": "bool"},
    }
    churn["protected_attributes"] = ["contract"]
    assert any("every usable feature is protected" in m
               for m in _problems(churn)["protected_attributes"])


# Assembled at run time so that this file itself holds no credential-shaped literal (R2).
FAKE_CREDENTIALS = [
    "AKIA" + "Q3ZB7RW4MNX2KD6T",
    "pass" + "word=hunter2hunter2",
    "registry.example.com/ml?token=" + "ghp_" + "a" * 40,
    "-----BEGIN RSA " + "PRIVATE KEY-----",
    "eyJ" + "hbGciOiJSUzI1NiJ9." + "eyJ" + "zdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJl",
]


@pytest.mark.parametrize("secret", FAKE_CREDENTIALS)
def test_credential_looking_answers_are_refused(churn: dict[str, Any], secret: str) -> None:
    churn["project_description"] = f"Predicts churn. {secret}"
    problems = _problems(churn)["project_description"]
    assert any("R2 refuses credentials" in m for m in problems)


def test_a_credential_inside_the_schema_is_refused(churn: dict[str, Any]) -> None:
    churn["dataset_schema"]["columns"]["contract"]["categories"].append(
        "sk_" + "live_abcdefghijklmnop1234"
    )
    assert any("R2" in m for m in _problems(churn)["dataset_schema"])


def test_words_about_secrets_are_not_credentials(churn: dict[str, Any]) -> None:
    churn["project_description"] = "Counts token usage and password resets per secret-santa team."
    churn["dataset_schema"]["columns"]["token_count"] = {"dtype": "int", "min": 0}
    assert _problems(churn) == {}


def test_cli_strings_are_read_as_numbers(churn: dict[str, Any]) -> None:
    churn.update(
        latency_p50_ms="12",
        latency_p99_ms="45",
        throughput_rps="500",
        metric_threshold="0.8",
        coverage_threshold="92",
    )
    assert _problems(churn) == {}


def test_derived_names() -> None:
    assert package_name_for("Churn Service") == "churn_service"
    assert package_name_for("2024 Fraud-Model!") == "svc_2024_fraud_model"
    assert slug_for("Churn Service (EU)") == "churn-service-eu"
    assert default_task_type({"target": "y", "columns": {"y": {"dtype": "bool"}}}) == (
        "binary_classification"
    )
    assert default_task_type({"target": "y", "columns": {"y": {"dtype": "float"}}}) == "regression"
    assert (
        default_task_type(
            {"target": "y", "columns": {"y": {"dtype": "category", "categories": ["a", "b", "c"]}}}
        )
        == "multiclass_classification"
    )


def test_the_answer_model_asks_the_questions_of_the_form_in_its_order() -> None:
    """The form explains FIELDS; the model checks them: same names, order and requiredness."""
    assert list(Answers.model_fields) == [field.name for field in FIELDS]
    required = {name for name, info in Answers.model_fields.items() if info.is_required()}
    assert required == set(REQUIRED)
    assert list(GPU_VRAM_GB) == list(get_args(GpuModel))


def test_every_problem_is_listed_at_once_in_the_forms_words(churn: dict[str, Any]) -> None:
    churn.update(
        latency_p50_ms=True,
        deployment_cloud="ibm",
        protected_attributes=["gender"],
        target_metric="rmse",
        surprise="yes",
    )
    del churn["image_registry"]
    churn["dataset_schema"]["columns"]["plan"] = {"dtype": "category", "categories": ["a", "a"]}
    problems = _problems(churn)
    assert set(problems) == {
        "latency_p50_ms",
        "deployment_cloud",
        "target_metric",
        "surprise",
        "image_registry",
        "dataset_schema",
    }
    assert problems["dataset_schema"] == ["column 'plan': categories repeat"]
    assert problems["image_registry"] == ["is required and has no default"]
    form = render_form(check_answers(churn, require_all=True))
    for pydantic_wording in ("Input should", "validation error", "pydantic", "type="):
        assert pydantic_wording not in form


def test_a_task_that_misfits_the_target_still_judges_the_metric(churn: dict[str, Any]) -> None:
    churn.update(task_type="regression", target_metric="roc_auc")
    problems = _problems(churn)
    assert any("regression needs an int or float target" in m for m in problems["task_type"])
    assert any("does not measure regression" in m for m in problems["target_metric"])


def test_every_field_has_a_reason_and_an_example() -> None:
    for field in FIELDS:
        assert field.why.strip() and field.example.startswith(field.name)


def test_schema_inferred_from_a_csv_sample(tmp_path: Path) -> None:
    sample = tmp_path / "sample.csv"
    sample.write_text(
        "age,income,plan,vip,signup,note,label\n"
        "31,1200.5,basic,true,2024-01-02,a1,yes\n"
        "45,,pro,false,2024-02-03,b2,no\n"
        "27,980.0,basic,false,2024-03-04,c3,no\n"
        "52,3000.25,pro,true,2024-04-05,d4,yes\n",
        encoding="utf-8",
    )
    schema = load_schema_source(sample)
    columns = schema["columns"]
    assert schema["target"] == "label"
    assert columns["age"] == {"dtype": "int"}
    assert columns["income"] == {"dtype": "float", "nullable": True}
    assert columns["plan"] == {"dtype": "category", "categories": ["basic", "pro"]}
    assert columns["vip"] == {"dtype": "bool"}
    assert columns["signup"] == {"dtype": "datetime"}
    assert columns["note"] == {"dtype": "string"}


def test_schema_inferred_from_parquet_and_read_from_json_and_yaml(tmp_path: Path) -> None:
    frame = pd.DataFrame({"x": [1.5, 2.5, 3.5, 4.5], "y": ["a", "b", "a", "b"]})
    frame.to_parquet(tmp_path / "s.parquet")
    assert load_schema_source(tmp_path / "s.parquet")["columns"]["x"] == {"dtype": "float"}
    schema = {"target": "y", "columns": {"x": {"dtype": "float"}, "y": {"dtype": "bool"}}}
    (tmp_path / "s.json").write_text(json.dumps(schema), encoding="utf-8")
    (tmp_path / "s.yaml").write_text(f"dataset_schema: {json.dumps(schema)}\n", encoding="utf-8")
    assert load_schema_source(tmp_path / "s.json") == schema
    assert load_schema_source(tmp_path / "s.yaml") == schema


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("missing.csv", None, "not a readable file"),
        ("empty.csv", "", "is empty"),
        ("header.csv", "a,b\n", "no rows"),
        ("schema.txt", "a", "give a .yaml"),
        ("broken.yaml", "a: [", "cannot be read"),
        ("list.json", "[1, 2]", "does not hold a mapping"),
    ],
)
def test_unreadable_schema_sources_say_why(
    tmp_path: Path, name: str, content: str | None, message: str
) -> None:
    path = tmp_path / name
    if content is not None:
        path.write_text(content, encoding="utf-8")
    with pytest.raises(SchemaSourceError, match=message):
        load_schema_source(path)


# -- the copies people read: copier.yml's questions and the README's answers block ---------------
def _copier_questions() -> dict[str, Any]:
    config: dict[str, Any] = yaml.safe_load((REPO_ROOT / "copier.yml").read_text("utf-8"))
    return {name: spec for name, spec in config.items() if isinstance(spec, dict)}


def _offered(choices: list[Any] | dict[str, Any]) -> list[str]:
    """The values a copier `choices:` offers: a list, or labels mapped to values or specs."""
    if isinstance(choices, list):
        return [str(value) for value in choices]
    return [str(value["value"] if isinstance(value, dict) else value) for value in choices.values()]


def test_copier_offers_exactly_the_choices_the_checks_accept() -> None:
    questions = _copier_questions()
    offered = {name: _offered(q["choices"]) for name, q in questions.items() if "choices" in q}
    assert offered == {name: list(values) for name, values in CHOICES.items()}
    for name in offered:
        default = questions[name].get("default")
        if isinstance(default, str) and "{{" not in default:
            assert default in CHOICES[name], (name, default)


def test_copier_defaults_to_a_coverage_gate_the_checks_accept() -> None:
    assert MIN_COVERAGE <= _copier_questions()["coverage_threshold"]["default"] <= MAX_COVERAGE


def _readme_answers_block() -> str:
    readme = (REPO_ROOT / "README.md").read_text("utf-8")
    block = re.search(
        r"### The answers file \(a public contract\)\s+```yaml\n(.*?)```", readme, re.S
    )
    assert block, "README lost its answers block; update this test"
    return block.group(1)


def _readme_comments() -> dict[str, str]:
    """Each top-level key of the README's answers block with its comment, continuations joined."""
    comments: dict[str, str] = {}
    key = ""
    for line in _readme_answers_block().splitlines():
        code, _, comment = line.partition("#")
        if line[:1].strip():  # a top-level key; indented lines continue it
            key = code.split(":")[0].strip()
            comments[key] = comment
        else:
            comments[key] += f" {comment}"
    return comments


def test_the_readme_answers_block_lists_exactly_the_choices_the_checks_accept() -> None:
    comments = _readme_comments()
    for name, values in CHOICES.items():
        words = set(re.findall(r"[\w.-]+", comments[name]))
        # Words shaped like values (digits, '_' or '-') must be values: prose has none.
        value_shaped = {w for w in words if re.search(r"[\d_-]", w)}
        assert set(values) <= words, (name, set(values) - words)
        assert value_shaped <= set(values), (name, value_shaped - set(values))
    assert comments["coverage_threshold"].strip().startswith(f"{MIN_COVERAGE} to {MAX_COVERAGE}:")


def test_the_readme_answers_block_names_every_dtype_and_is_accepted() -> None:
    block = _readme_answers_block()
    dtypes = re.search(r"# dtype: (.*)", block)
    assert dtypes and dtypes.group(1).strip().split(" | ") == list(DTYPES)
    assert check_answers(yaml.safe_load(block), require_all=True) == []

"""The template over its answer space, not three examples (strategy: tests/answer_space.py).

Tier 1, on a fixed seed: every drawn answer set and every answer set that ever failed
(tests/fixtures/answer_sets/) renders in-process; every generated file parses; one ruff run over
all renders; the import-linter layer contracts hold on each; mypy --strict on a rotating subset
(all of them with ARCHITECT_K_FUZZ_MYPY=all); every kustomization builds with the real
kustomize and its output, the Dockerfile and the workflow pass kubernetes-validate, checkov,
hadolint, zizmor and actionlint (tests/delivery_lint.py, one run of each linter over all
renders); the post-render audit is clean.

Tier 2: answer sets chosen to differ from the examples generate sample data, train past their
metric gate and pass their own suite at their coverage gate, in this one virtualenv.

`make fuzz-template N=300` runs tier 1 on N draws of a random seed. Every failing answer set is
written to build/fuzz-failures/ as a ready-to-use answers file, and printed.
"""

from __future__ import annotations

import datetime
import importlib
import json
import os
import re
import subprocess
import sys
import tomllib
from collections import Counter
from collections.abc import Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import strategies as st

from architect_k import REPO_ROOT
from architect_k.audit import run_audit
from architect_k.interrogation import default_task_type
from architect_k.interrogation.fields import (
    AUTH_MODES,
    CLOUDS,
    COMPUTE_CHOICES,
    DISTRIBUTED,
    DOMAINS,
    DTYPES,
    KUBERNETES_VERSIONS,
    MAX_COVERAGE,
    MAX_DESCRIPTION,
    MAX_PROJECT_NAME,
    METRICS_BY_TASK,
)
from architect_k.render import load_answers, render_answers, snapshot_template
from tests.answer_space import (
    Answers,
    answers_file,
    draws,
    reachable_threshold,
    targets,
    valid_answer_sets,
)
from tests.conftest import lint_imports, run_in_service, service_test_args
from tests.delivery_lint import lint_delivery, report
from tests.test_generated_shape import MAX_LINES, long_files_without_a_reason

FIXTURES = Path(__file__).parent / "fixtures" / "answer_sets"
DRAWS = int(os.environ.get("ARCHITECT_K_FUZZ_DRAWS", "30"))
SEED = int(os.environ.get("ARCHITECT_K_FUZZ_SEED", "1130"))
FAILURES = Path(os.environ.get("ARCHITECT_K_FUZZ_FAILURES", REPO_ROOT / "build" / "fuzz-failures"))
#: mypy --strict costs most per render: `make test` checks this many renders, a different
#: subset each day, and the fuzz target checks all of them.
MYPY_PER_RUN = 3
MYPY_ALL = os.environ.get("ARCHITECT_K_FUZZ_MYPY") == "all"


@dataclass
class Case:
    """One answer set of the run, and its render or why it failed."""

    name: str
    answers: Answers
    repo: Path | None
    render_error: str | None = None


def _render(name: str, answers: Answers, root: Path, template: Path) -> Case:
    try:
        # The post-render audit runs in test_the_post_render_audit_is_clean, warnings included.
        repo = render_answers(answers, root / name, template=template, tasks=False)
    # Whatever copier raises (a refusal, a Jinja error) is a finding about these answers.
    except Exception as error:
        return Case(name, answers, None, f"{type(error).__name__}: {error}")
    return Case(name, answers, repo)


def fail_for(cases: Mapping[str, Case], problems: Mapping[str, list[str]], what: str) -> None:
    """Fail naming every case with problems, each written out as a ready-to-use answers file."""
    failing = {name: items for name, items in problems.items() if items}
    if not failing:
        return
    FAILURES.mkdir(parents=True, exist_ok=True)
    shown = []
    for name, items in sorted(failing.items()):
        case = cases[name]
        why = f"{what} failed (seed {SEED}, {name}):\n" + "\n".join(
            item[:300] for item in items[-40:]
        )
        target = FAILURES / f"{SEED}-{name}.yml"
        target.write_text(answers_file(case.answers, why), encoding="utf-8")
        shown.append(f"--- {target}\n{target.read_text(encoding='utf-8')}")
    pytest.fail(
        f"{what}: {len(failing)} of {len(problems)} answer sets fail; each is in {FAILURES}, "
        "ready for `python scripts/render.py FILE DEST` and for tests/fixtures/answer_sets/\n"
        + "\n".join(shown)[:60_000],
        pytrace=False,
    )


@pytest.fixture(scope="session")
def cases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Case]:
    """Every regression fixture and every draw of this run's seed, rendered in-process."""
    root = tmp_path_factory.mktemp("answer_space")
    template = snapshot_template(tmp_path_factory.mktemp("template"))
    rendered = [
        _render(f"fixture-{path.stem}", load_answers(path), root, template)
        for path in sorted(FIXTURES.glob("*.yml"))
    ]
    rendered += [
        _render(f"draw-{i:03d}", answers, root, template)
        for i, answers in enumerate(draws(valid_answer_sets(), DRAWS, SEED))
    ]
    return {case.name: case for case in rendered}


@pytest.fixture(scope="session")
def repos(cases: dict[str, Case]) -> dict[str, Path]:
    """The renders that succeeded: {case name: repository}."""
    return {name: case.repo for name, case in cases.items() if case.repo is not None}


# -- the strategy -----------------------------------------------------------------------------


def _spans(answer_sets: list[Answers]) -> Counter[str]:
    seen: Counter[str] = Counter()
    for answers in answer_sets:
        schema = answers["dataset_schema"]
        target = schema["columns"][schema["target"]]
        task = answers.get("task_type") or default_task_type(schema)
        seen[f"metric {task} {answers['target_metric']}"] += 1
        for name, spec in schema["columns"].items():
            if name == schema["target"]:
                continue
            seen[f"dtype {spec['dtype']} nullable={bool(spec.get('nullable'))}"] += 1
            seen.update(f"bound {spec['dtype']} {b}" for b in ("min", "max") if b in spec)
            for label in spec.get("categories", []):
                seen["label one character"] += len(label) == 1
                seen["label non-ascii"] += not label.isascii()
                seen["label numeric-looking"] += bool(re.fullmatch(r"-?[0-9.e]+", label))
                seen["label spaces or punctuation"] += bool(re.search(r"[^\w]", label))
        seen["40 columns"] += len(schema["columns"]) == 40
        seen["2 columns"] += len(schema["columns"]) == 2
        if target["dtype"] == "int" and task != "regression":
            seen[f"int classes {target['max'] - target['min'] + 1}"] += 1
        if task == "regression" and "max" in target:
            scale = target["max"] - target["min"]
            seen["regression scale <= 1e-2"] += scale <= 1e-2
            seen["regression scale >= 1e5"] += scale >= 1e5
        for name, choices in (
            ("deployment_cloud", CLOUDS),
            ("deployment_compute", COMPUTE_CHOICES),
            ("kubernetes_version", KUBERNETES_VERSIONS),
            ("auth_mode", AUTH_MODES),
            ("distributed", DISTRIBUTED),
            ("domain", DOMAINS),
        ):
            if name in answers:
                assert answers[name] in choices
                seen[f"{name} {answers[name]}"] += 1
        seen["protected attributes"] += bool(answers.get("protected_attributes"))
        seen["project name at its limit"] += len(answers["project_name"]) == MAX_PROJECT_NAME
        seen["description at its limit"] += (
            len(answers.get("project_description", "")) == MAX_DESCRIPTION
        )
    return seen


def test_the_strategy_spans_the_contract() -> None:
    """The draws reach every choice the contract offers and the awkward ends it leaves open."""
    seen = _spans(draws(valid_answer_sets(), 250, seed_value=SEED))
    # Regression targets are a third of the draws at best: their scales get a sample of their own.
    for spec, _ in draws(targets("regression"), 100, seed_value=SEED):
        if "max" in spec:
            seen["regression scale <= 1e-2"] += spec["max"] - spec["min"] <= 1e-2
            seen["regression scale >= 1e5"] += spec["max"] - spec["min"] >= 1e5
    expected = [
        *(f"metric {task} {metric}" for task, metrics in METRICS_BY_TASK.items()
          for metric in metrics),
        *(f"dtype {dtype} nullable={flag}" for dtype in DTYPES for flag in (True, False)),
        *(f"bound {dtype} {b}" for dtype in ("int", "float") for b in ("min", "max")),
        "label one character", "label non-ascii", "label numeric-looking",
        "label spaces or punctuation", "40 columns", "2 columns", "int classes 2",
        "regression scale <= 1e-2", "regression scale >= 1e5",
        *(f"deployment_cloud {c}" for c in CLOUDS),
        *(f"deployment_compute {c}" for c in COMPUTE_CHOICES),
        *(f"kubernetes_version {v}" for v in KUBERNETES_VERSIONS),
        *(f"auth_mode {m}" for m in AUTH_MODES),
        *(f"distributed {d}" for d in DISTRIBUTED),
        *(f"domain {d}" for d in DOMAINS),
        "protected attributes", "project name at its limit", "description at its limit",
    ]
    assert [item for item in expected if not seen[item]] == []
    assert max(int(k.split()[-1]) for k in seen if k.startswith("int classes")) >= 12


def test_a_seed_draws_the_same_answer_sets_whatever_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A failing draw is replayed by its seed, often in a smaller run than the one that found it.
    before = draws(valid_answer_sets(), 20, SEED)
    literals = ", ".join(f'"label{i}", "{i}_name", {i * 7919}' for i in range(200))
    (tmp_path / "many_literals.py").write_text(f"VALUES = ({literals})\n", encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.import_module("many_literals")
    assert draws(valid_answer_sets(), 20, SEED) == before


# -- tier 1 -----------------------------------------------------------------------------------


def test_every_answer_set_renders(cases: dict[str, Case]) -> None:
    fail_for(
        cases,
        {name: [case.render_error] if case.render_error else [] for name, case in cases.items()},
        "render",
    )


def parse_problems(repo: Path) -> list[str]:
    """What fails to parse among the repository's Python, YAML, JSON and TOML files."""
    problems = []
    for path in sorted(repo.rglob("*")):
        if not path.is_file() or ".git" in path.parts:
            continue
        try:
            if path.suffix == ".py":
                compile(path.read_text(encoding="utf-8"), str(path), "exec")
            elif path.suffix in {".yml", ".yaml"}:
                list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
            elif path.suffix == ".json":
                json.loads(path.read_text(encoding="utf-8"))
            elif path.suffix == ".toml":
                tomllib.loads(path.read_text(encoding="utf-8"))
        except (SyntaxError, ValueError, yaml.YAMLError) as error:
            problems.append(f"{path.relative_to(repo)}: {error}")
    return problems


def test_every_generated_file_parses(cases: dict[str, Case], repos: dict[str, Path]) -> None:
    fail_for(cases, {name: parse_problems(repo) for name, repo in repos.items()}, "parse")


def test_one_ruff_run_over_every_render_is_clean(
    cases: dict[str, Case], repos: dict[str, Path]
) -> None:
    # ruff reads each render's own pyproject.toml: one process lints them all under their config.
    targets = [str(repo / part) for repo in repos.values() for part in ("src", "tests")]
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--output-format", "concise",
         *targets],
        capture_output=True, text=True, check=False,
    )
    problems: dict[str, list[str]] = {name: [] for name in repos}
    for line in result.stdout.splitlines():
        for name, repo in repos.items():
            if line.startswith(f"{repo}{os.sep}"):
                problems[name].append(line.removeprefix(f"{repo}{os.sep}"))
    fail_for(cases, problems, "ruff")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


def test_the_layer_contracts_hold_on_every_render(
    cases: dict[str, Case], repos: dict[str, Path]
) -> None:
    # Serving, training and monitoring never import one another, whatever the answers. Each
    # render holds its own contracts, so one lint-imports per render, run side by side.
    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        results = dict(zip(repos, pool.map(lint_imports, repos.values()), strict=True))
    problems = {
        name: [] if result.returncode == 0 else result.stdout.splitlines()[-20:]
        for name, result in results.items()
    }
    fail_for(cases, problems, "lint-imports")


def test_no_render_has_a_long_file_that_does_not_say_why(
    cases: dict[str, Case], repos: dict[str, Path]
) -> None:
    problems = {name: long_files_without_a_reason(repo) for name, repo in repos.items()}
    fail_for(cases, problems, f"files over {MAX_LINES} lines")


def _mypy_subset(names: list[str]) -> list[str]:
    if MYPY_ALL or len(names) <= MYPY_PER_RUN:
        return names
    start = datetime.date.today().toordinal() * MYPY_PER_RUN % len(names)
    return [names[(start + k) % len(names)] for k in range(MYPY_PER_RUN)]


def test_mypy_strict_passes_on_a_rotating_subset(
    cases: dict[str, Case], repos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # One cache for every render: torch, pandas and pydantic are analysed once, not per render.
    # Every render has a module `tests.test_model`; mypy trusts a cached module whose file has the
    # same size and mtime, and two renders made in the same second with package names of equal
    # length match on both. Each render's files get their own mtime so the cache rechecks them.
    cache = tmp_path_factory.mktemp("mypy-cache")
    problems = {}
    for index, name in enumerate(_mypy_subset(sorted(repos))):
        stamp = 1_000_000_000 + index
        for source in repos[name].rglob("*.py"):
            os.utime(source, (stamp, stamp))
        result = run_in_service(repos[name], "mypy", "--cache-dir", str(cache))
        problems[name] = [] if result.returncode == 0 else result.stdout.splitlines()[-20:]
    fail_for(cases, problems, "mypy --strict")


def test_every_delivery_builds_and_lints_clean(
    cases: dict[str, Case], repos: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    problems = lint_delivery(repos, tmp_path_factory.mktemp("delivery"))
    fail_for(cases, problems, "kustomize/kubernetes-validate/checkov/hadolint/zizmor/actionlint")
    assert report(problems) == ""


def test_the_post_render_audit_is_clean(cases: dict[str, Case], repos: dict[str, Path]) -> None:
    fail_for(
        cases,
        {
            name: [f"{f.rule} {f.path}:{f.line} {f.message}" for f in run_audit(repo).findings]
            for name, repo in repos.items()
        },
        "audit",
    )


# -- tier 2 -----------------------------------------------------------------------------------

ONE_LETTER = st.sampled_from("abcdefghijklmnopqrstuvwxyz")
#: Answer sets unlike the examples', each drawn once on a fixed seed; a reachable gate.
#: What every tier-2 answer set shares: a gate its sample data clears, and a service small
#: enough to train in seconds.
SMALL: dict[str, Any] = {"threshold": reachable_threshold, "max_columns": 8}
TIER2: dict[str, st.SearchStrategy[Answers]] = {
    "regression-large-scale": valid_answer_sets(
        task="regression",
        target=st.tuples(
            st.floats(1e5, 1e6).map(lambda span: {"dtype": "float", "min": 0.0, "max": span}),
            st.just(False),
        ),
        metric=lambda task: st.sampled_from(("rmse", "mae")),
        **SMALL,
    ),
    "no-nullable-columns": valid_answer_sets(
        task="binary_classification", nullable=False, **SMALL
    ),
    "one-letter-labels": valid_answer_sets(
        task="multiclass_classification",
        feature_dtypes=st.sampled_from(("category", "float")),
        label_strategy=ONE_LETTER,
        **SMALL,
    ),
    "multiclass-int-target": valid_answer_sets(
        task="multiclass_classification",
        target=st.integers(8, 15).map(lambda k: ({"dtype": "int", "min": 1, "max": k}, True)),
        **SMALL,
    ),
    "mtls-on-cpu": valid_answer_sets(
        fixed={"auth_mode": "mtls", "deployment_compute": "cpu"}, **SMALL
    ),
}


@pytest.fixture(scope="session", params=sorted(TIER2))
def trained_service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Case, subprocess.CompletedProcess[str]]]:
    """A tier-2 answer set rendered, with its sample data generated and `train` run on it."""
    name = request.param
    # The first draw of a strategy is its simplest; a later one is a service of some size. It
    # is gated at the highest coverage the contract accepts: that gate is a promise that the
    # first CI run passes, and this is where it is kept.
    answers = {**draws(TIER2[name], 4, SEED)[-1], "coverage_threshold": MAX_COVERAGE}
    case = _render(name, answers, tmp_path_factory.mktemp(name), REPO_ROOT)
    if case.repo is None:
        fail_for({name: case}, {name: [str(case.render_error)]}, "render")
    assert case.repo is not None
    package = yaml.safe_load((case.repo / ".copier-answers.yml").read_text())["package_name"]
    data = run_in_service(case.repo, f"{package}.sample_data", "--rows", "5000")
    assert data.returncode == 0, data.stderr[-3000:]
    yield case, run_in_service(
        case.repo, f"{package}.training", "--config", "configs/train.yaml",
        "--data", "data/sample.csv", "--output", "artifacts",
    )


@pytest.mark.slow
def test_a_service_unlike_the_examples_trains_past_its_gate(
    trained_service: tuple[Case, subprocess.CompletedProcess[str]],
) -> None:
    case, result = trained_service
    problems = [] if result.returncode == 0 else (result.stdout + result.stderr).splitlines()[-30:]
    fail_for({case.name: case}, {case.name: problems}, "make data train")


@pytest.mark.slow
def test_a_service_unlike_the_examples_passes_its_own_suite(
    trained_service: tuple[Case, subprocess.CompletedProcess[str]],
) -> None:
    case, _ = trained_service
    assert case.repo is not None
    answers = yaml.safe_load((case.repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    result = run_in_service(
        case.repo, *service_test_args(answers["package_name"], answers["coverage_threshold"])
    )
    problems = [] if result.returncode == 0 else result.stdout.splitlines()[-60:]
    fail_for({case.name: case}, {case.name: problems}, "the service's own suite")

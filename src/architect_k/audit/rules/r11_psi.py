"""R11: an inference deployment needs a PSI (population stability) monitor in the repository."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable, Iterator
from typing import Any

from architect_k.audit.k8s import CONTAINER_KEYS
from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo, is_test_path, walk_yaml
from architect_k.audit.yamlio import node_line

SERVING_KINDS = frozenset({"Deployment", "StatefulSet", "Rollout"})
# CRDs whose whole purpose is model serving.
INFERENCE_CRDS = frozenset(
    {"InferenceService", "SeldonDeployment", "ServingRuntime", "LLMInferenceService"}
)
# A workload named or built like one of these runs the platform around models (controllers,
# web UIs, gateways, proxies, schedulers, brokers, stores), not an online inference service,
# even when it carries the platform's name (kserve-controller-manager, seldon-envoy).
NOT_INFERENCE_WORDS = frozenset(
    {
        "controller", "operator", "manager", "webhook", "web", "ui", "dashboard", "frontend",
        "gateway", "gateways", "proxy", "envoy", "istio", "kourier", "ingress", "router",
        "scheduler", "dataflow", "hodometer", "agent", "broker", "kafka", "zookeeper",
        "redis", "minio", "postgres", "postgresql", "mysql", "seaweedfs", "prometheus",
        "grafana", "jaeger", "otel", "collector", "keda", "cert", "dex", "oauth2", "feast",
        "feature", "explainer", "logger", "dumper",
    }
)  # fmt: skip
INFERENCE_WORDS = frozenset(
    {
        "inference",
        "infer",
        "serve",
        "serving",
        "predict",
        "predictor",
        "prediction",
        "predictions",
        "model",
        "models",
        "scoring",
        "score",
        "scorer",
        "classifier",
        "triton",
        "torchserve",
        "kserve",
        "seldon",
        "bentoml",
        "mlserver",
        "vllm",
        "tfserving",
    }
)
_LONG_VETO = tuple(w for w in NOT_INFERENCE_WORDS if len(w) >= 5)
MONITOR_WORDS = frozenset({"psi", "drift", "evidently"})
_SPLIT = re.compile(r"[^a-z0-9]+")


def _tokens(values: Iterable[Any]) -> set[str]:
    out: set[str] = set()
    for value in values:
        if isinstance(value, str | int | float):
            out.update(t for t in _SPLIT.split(str(value).lower()) if t)
    return out


def _identity(doc: dict[str, Any]) -> set[str]:
    """Words naming a workload: metadata, labels, annotations, containers, commands."""
    meta = doc.get("metadata") or {}
    values: list[Any] = [meta.get("name")]
    for key in ("labels", "annotations"):
        block = meta.get(key)
        if isinstance(block, dict):
            values.extend(block.keys())
            values.extend(block.values())
    for node in walk_yaml(doc.get("spec")):
        if not isinstance(node, dict):
            continue
        if node.get("metadata") and isinstance(node["metadata"], dict):
            labels = node["metadata"].get("labels")
            if isinstance(labels, dict):
                values.extend(labels.values())
        for key in CONTAINER_KEYS:
            for c in node.get(key) or []:
                if isinstance(c, dict):
                    values += [c.get("name"), c.get("image")]
                    for arg_key in ("command", "args"):
                        if isinstance(c.get(arg_key), list):
                            values.extend(c[arg_key])
    return _tokens(values)


def _is_inference(doc: dict[str, Any]) -> bool:
    """An online inference service: a serving CRD, or a long-running workload whose name,
    labels, image and args say it serves a model and nothing says it is platform plumbing.
    Jobs and CronJobs are batch work, not deployments to monitor online."""
    kind = doc.get("kind")
    if kind in INFERENCE_CRDS:
        return True
    knative = kind == "Service" and str(doc.get("apiVersion", "")).startswith("serving.knative.dev")
    if not knative and kind not in SERVING_KINDS:
        return False
    meta = doc.get("metadata") or {}
    raw_labels = meta.get("labels")
    labels: dict[Any, Any] = raw_labels if isinstance(raw_labels, dict) else {}
    # What the workload calls itself decides the veto; sidecars (an agent, an envoy) do not.
    own = _tokens([meta.get("name"), *labels.values()])
    # Run-together names (modelgateway) are matched by the longer words as substrings.
    vetoed = any(w in NOT_INFERENCE_WORDS or any(v in w for v in _LONG_VETO) for w in own)
    return bool(_identity(doc) & INFERENCE_WORDS) and not vetoed


def _python_monitor(repo: Repo) -> bool:
    for rel in repo.python:
        if is_test_path(rel):
            continue
        text = repo.text(rel) or ""
        low = text.lower()
        if "psi" not in low and "population_stability" not in low and "evidently" not in low:
            continue
        mod = repo.module(rel)
        if mod is None:
            continue
        if any(v.split(".")[0] == "evidently" for v in mod.imports.values()):
            return True
        for node in mod.nodes(ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                words = set(_SPLIT.split(node.name.lower()))
                if "psi" in words or "population_stability" in node.name.lower():
                    return True
    return False


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Inference workloads pass when any other workload or module implements the monitor."""
    inference: list[tuple[str, dict[str, Any]]] = []
    monitored = False
    for path, doc in repo.k8s_docs():
        if _is_inference(doc):
            inference.append((path, doc))
            continue
        if (
            doc.get("kind") == "PrometheusRule" and "psi" in _tokens(walk_yaml(doc.get("spec")))
        ) or (
            _identity(doc) & MONITOR_WORDS
            and any(k in str(doc.get("kind")) for k in ("Job", "Deployment"))
        ):
            monitored = True
    if not inference or monitored or _python_monitor(repo):
        return
    # One root cause (no monitor in the repository), so one finding at the first workload,
    # with the others named, rather than one per manifest.
    inference.sort(key=lambda item: (item[0], node_line(item[1])))
    path, doc = inference[0]
    name = (doc.get("metadata") or {}).get("name", "?")
    others = [f"{p}:{node_line(d)}" for p, d in inference[1:]]
    more = ""
    if others:
        shown = ", ".join(others[:3])
        more = f"; also {len(others)} more inference workload(s): {shown}"
        more += " ..." if len(others) > 3 else ""
    yield Hit(
        path,
        node_line(doc),
        f"inference {doc.get('kind')} `{name}` ships with no PSI monitor anywhere in the "
        f"repository{more}",
    )

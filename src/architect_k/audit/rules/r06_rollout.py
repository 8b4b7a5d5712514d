"""R6: every Deployment rolls out with RollingUpdate, maxUnavailable 0 and a surge."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from architect_k.audit.k8s import kustomize_patches
from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo
from architect_k.audit.yamlio import line_of, node_line


def _is_zero(value: Any) -> bool:
    return str(value).strip() in {"0", "0%"}


def _is_positive(value: Any) -> bool:
    text = str(value).strip().rstrip("%")
    return text.isdigit() and int(text) > 0


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Deployments only: Argo ``Rollout`` objects carry their own rollback schema.

    Kustomize-aware: a patch file (named in a kustomization, or a Deployment without the
    required spec.selector) is judged as part of the object it patches, so the patch is not
    reported on its own, and a strategy a patch sets counts for the base it patches.
    """
    patches = kustomize_patches(repo)
    patched: dict[str, Any] = {}
    deployments = []
    for path, doc in repo.k8s_docs():
        if doc.get("kind") != "Deployment":
            continue
        name = (doc.get("metadata") or {}).get("name", "?")
        spec = doc.get("spec")
        # apps/v1 requires spec.selector: a Deployment without one is a patch fragment even
        # when no kustomization in the repository names it (overlays assembled elsewhere).
        partial = not isinstance(spec, dict) or "selector" not in spec
        if path in patches or partial:
            if isinstance(spec, dict) and isinstance(spec.get("strategy"), dict):
                patched[str(name)] = spec["strategy"]
            continue
        deployments.append((path, doc, name, spec))
    for path, doc, name, spec in deployments:
        if not isinstance(spec, dict):
            continue
        strategy = patched.get(str(name), spec.get("strategy"))
        if not isinstance(strategy, dict):
            yield Hit(
                path,
                node_line(spec, node_line(doc)),
                f"Deployment `{name}` has no spec.strategy (defaults to maxUnavailable 25%)",
            )
            continue
        kind = strategy.get("type", "RollingUpdate")
        line = line_of(spec, "strategy")
        if kind != "RollingUpdate":
            yield Hit(
                path,
                line_of(strategy, "type", line),
                f"Deployment `{name}` uses strategy {kind}: every pod stops before new ones serve",
            )
            continue
        ru = strategy.get("rollingUpdate")
        if not isinstance(ru, dict):
            yield Hit(
                path,
                line,
                f"Deployment `{name}` RollingUpdate has no rollingUpdate bounds "
                "(defaults to maxUnavailable 25%)",
            )
            continue
        if not _is_zero(ru.get("maxUnavailable", "25%")):
            yield Hit(
                path,
                line_of(ru, "maxUnavailable", line),
                f"Deployment `{name}` allows maxUnavailable {ru.get('maxUnavailable', '25%')}: "
                "capacity drops during rollout",
            )
        if not _is_positive(ru.get("maxSurge", "25%")):
            yield Hit(
                path,
                line_of(ru, "maxSurge", line),
                f"Deployment `{name}` has maxSurge {ru.get('maxSurge')}: the rollout cannot "
                "progress",
            )

"""Kubernetes manifest helpers: containers in any pod template, kustomize image overrides."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from architect_k.audit.repo import Repo, walk_yaml
from architect_k.audit.yamlio import line_of, node_line

CONTAINER_KEYS = ("initContainers", "containers", "ephemeralContainers")


@dataclass(frozen=True)
class Container:
    """A container entry found in a manifest."""

    path: str
    line: int
    image: str
    name: str
    doc: Any


def containers(doc: Any, path: str) -> Iterator[Container]:
    """Every container of every pod template in ``doc``, whatever the owning kind.

    Walking the whole object (instead of ``spec.template.spec``) covers Deployments, Jobs,
    CronJobs (``jobTemplate``), StatefulSets, DaemonSets, Pods, Rollouts and CRDs such as
    Kubeflow ``PyTorchJob`` replica specs and Argo ``container:`` templates alike.
    """
    for node in walk_yaml(doc):
        if not isinstance(node, dict):
            continue
        # Argo Workflows templates and KServe custom predictors hold a singular `container:`.
        single = node.get("container")
        if isinstance(single, dict) and isinstance(single.get("image"), str):
            yield Container(
                path=path,
                line=line_of(single, "image", node_line(single)),
                image=single["image"],
                name=str(single.get("name") or ""),
                doc=doc,
            )
        for key in CONTAINER_KEYS:
            items = node.get(key)
            if not isinstance(items, list):
                continue
            for item in items:
                if isinstance(item, dict) and "image" in item:
                    yield Container(
                        path=path,
                        line=line_of(item, "image", node_line(item)),
                        image=str(item.get("image") or ""),
                        name=str(item.get("name") or ""),
                        doc=doc,
                    )


def split_image(ref: str) -> tuple[str, str | None, str | None]:
    """``(name, tag, digest)`` of an image reference."""
    digest: str | None = None
    if "@" in ref:
        ref, _, digest = ref.partition("@")
    tag: str | None = None
    slash = ref.rfind("/")
    colon = ref.rfind(":")
    if colon > slash:
        ref, tag = ref[:colon], ref[colon + 1 :]
    return ref, tag, digest


@dataclass
class KustomizeImage:
    """An ``images:`` entry of a kustomization file."""

    path: str
    line: int
    name: str
    new_name: str | None
    new_tag: str | None
    digest: str | None


def kustomizations(repo: Repo) -> list[tuple[str, Any]]:
    """``(path, document)`` for every kustomization file."""
    out = []
    for rel in repo.yaml:
        if posixpath.basename(rel) in {"kustomization.yaml", "kustomization.yml", "Kustomization"}:
            for doc in repo.yaml_docs(rel):
                if isinstance(doc, dict):
                    out.append((rel, doc))
    return out


def kustomize_images(path: str, doc: Any) -> list[KustomizeImage]:
    """The image overrides a kustomization declares."""
    images = doc.get("images")
    out: list[KustomizeImage] = []
    if not isinstance(images, list):
        return out
    for entry in images:
        if isinstance(entry, dict) and entry.get("name"):
            tag = entry.get("newTag")
            out.append(
                KustomizeImage(
                    path=path,
                    line=node_line(entry),
                    name=str(entry["name"]),
                    new_name=str(entry["newName"]) if entry.get("newName") else None,
                    new_tag=str(tag) if tag is not None else None,
                    digest=str(entry["digest"]) if entry.get("digest") else None,
                )
            )
    return out


def covered_dirs(repo: Repo, path: str, doc: Any, depth: int = 0) -> set[str]:
    """Folders whose manifests a kustomization renders (its own, and resources recursively)."""
    here = posixpath.dirname(path)
    dirs = {here}
    if depth > 8:
        return dirs
    for key in ("resources", "bases", "components"):
        entries = doc.get(key)
        if not isinstance(entries, list):
            continue
        for entry in entries:
            if not isinstance(entry, str) or "://" in entry:
                continue
            target = posixpath.normpath(posixpath.join(here, entry))
            for kpath, kdoc in kustomizations(repo):
                if posixpath.dirname(kpath) == target:
                    dirs |= covered_dirs(repo, kpath, kdoc, depth + 1)
            dirs.add(
                target if not target.endswith((".yaml", ".yml")) else posixpath.dirname(target)
            )
    return dirs


def _walk(node: Any) -> Iterator[Any]:
    return walk_yaml(node)


def doc_strings(doc: Any) -> Iterator[str]:
    """Every scalar string in a document (keys and values)."""
    for node in _walk(doc):
        if isinstance(node, str):
            yield node
        elif isinstance(node, dict):
            for key in node:
                if isinstance(key, str):
                    yield key


def kustomize_patches(repo: Repo) -> set[str]:
    """Files a kustomization applies as patches (``patches``, ``patchesStrategicMerge``,
    ``patchesJson6902``): fragments of an object defined elsewhere, not objects of their own."""
    out: set[str] = set()
    for kpath, kdoc in kustomizations(repo):
        here = posixpath.dirname(kpath)
        for key in ("patches", "patchesStrategicMerge", "patchesJson6902"):
            entries = kdoc.get(key)
            if not isinstance(entries, list):
                continue
            for entry in entries:
                target = entry.get("path") if isinstance(entry, dict) else entry
                if isinstance(target, str) and "\n" not in target:
                    out.add(posixpath.normpath(posixpath.join(here, target)))
    return out

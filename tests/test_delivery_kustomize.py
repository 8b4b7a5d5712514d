"""A minimal `kustomize build` for the generated k8s/ tree, and its own tests.

No kustomize binary can be installed here and no PyPI package ships one, so the delivery tests
build the overlays with this small implementation of the features the template uses:
`resources` (files and directories), `namespace`, `labels` (pairs, includeSelectors,
includeTemplates), `commonLabels`, `images` (newName/newTag/digest on every container and init
container) and `patches` (strategic merge by kind and name, lists of named items merged by
name). Any other kustomization field is refused, so the template cannot start relying on a
feature this builder would silently ignore.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

SUPPORTED = frozenset(
    {"apiVersion", "kind", "resources", "namespace", "labels", "commonLabels", "images", "patches"}
)
CONTAINER_LISTS = ("containers", "initContainers")
SELECTOR_PATHS: dict[str, list[tuple[str, ...]]] = {
    "Deployment": [("spec", "selector", "matchLabels")],
    "PodDisruptionBudget": [("spec", "selector", "matchLabels")],
    "Service": [("spec", "selector")],
}
TEMPLATE_PATHS: dict[str, list[tuple[str, ...]]] = {
    "Deployment": [("spec", "template", "metadata", "labels")],
    "Job": [("spec", "template", "metadata", "labels")],
    "CronJob": [("spec", "jobTemplate", "spec", "template", "metadata", "labels")],
}


class KustomizeError(Exception):
    """The kustomization uses something this builder does not implement, or is invalid."""


def _load_kustomization(directory: Path) -> dict[str, Any]:
    path = directory / "kustomization.yaml"
    if not path.is_file():
        raise KustomizeError(f"{directory}: no kustomization.yaml")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, dict) or data.get("kind") != "Kustomization":
        raise KustomizeError(f"{path}: not a Kustomization")
    unknown = set(data) - SUPPORTED
    if unknown:
        raise KustomizeError(f"{path}: unsupported fields {sorted(unknown)}")
    return data


def _setdefault_path(doc: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any] | None:
    node: Any = doc
    for key in path:
        if not isinstance(node, dict):
            return None
        node = node.setdefault(key, {})
    return node if isinstance(node, dict) else None


def split_image(image: str) -> tuple[str, str | None, str | None]:
    """(name, tag, digest) of an image reference."""
    name, _, digest = image.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return name, tag, digest or None


def _containers(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in CONTAINER_LISTS and isinstance(value, list):
                yield from (c for c in value if isinstance(c, dict))
            else:
                yield from _containers(value)
    elif isinstance(node, list):
        for item in node:
            yield from _containers(item)


def _set_images(doc: dict[str, Any], entries: list[dict[str, Any]]) -> None:
    for container in _containers(doc):
        image = container.get("image")
        if not isinstance(image, str):
            continue
        name, tag, digest = split_image(image)
        for entry in entries:
            if entry["name"] != name:
                continue
            name = entry.get("newName", name)
            if "digest" in entry:
                tag, digest = None, entry["digest"]
            elif "newTag" in entry:
                tag, digest = entry["newTag"], None
            suffix = (f":{tag}" if tag else "") + (f"@{digest}" if digest else "")
            container["image"] = name + suffix
            break


def _add_labels(
    doc: dict[str, Any], pairs: dict[str, str], selectors: bool, templates: bool
) -> None:
    doc.setdefault("metadata", {}).setdefault("labels", {}).update(pairs)
    kind = doc.get("kind", "")
    if selectors or templates:
        for path in TEMPLATE_PATHS.get(kind, []):
            target = _setdefault_path(doc, path)
            if target is not None:
                target.update(pairs)
    if selectors:
        for path in SELECTOR_PATHS.get(kind, []):
            target = _setdefault_path(doc, path)
            if target is not None:
                target.update(pairs)


def merge(base: Any, patch: Any) -> Any:
    """Strategic merge: maps merge recursively, null deletes, lists of named maps merge by name."""
    if isinstance(base, dict) and isinstance(patch, dict):
        out = dict(base)
        for key, value in patch.items():
            if value is None:
                out.pop(key, None)
            elif key in out:
                out[key] = merge(out[key], value)
            else:
                out[key] = copy.deepcopy(value)
        return out
    named = (
        isinstance(base, list)
        and isinstance(patch, list)
        and all(isinstance(i, dict) and "name" in i for i in [*base, *patch])
    )
    if named:
        out_list = [copy.deepcopy(i) for i in base]
        index = {item["name"]: n for n, item in enumerate(out_list)}
        for item in patch:
            if item["name"] in index:
                out_list[index[item["name"]]] = merge(out_list[index[item["name"]]], item)
            else:
                out_list.append(copy.deepcopy(item))
        return out_list
    return copy.deepcopy(patch)


def _apply_patch(docs: list[dict[str, Any]], patch: dict[str, Any], origin: str) -> None:
    meta = patch.get("metadata") or {}
    matches = [
        n
        for n, doc in enumerate(docs)
        if doc.get("kind") == patch.get("kind")
        and doc.get("metadata", {}).get("name") == meta.get("name")
        and ("namespace" not in meta or doc["metadata"].get("namespace") == meta["namespace"])
    ]
    if len(matches) != 1:
        raise KustomizeError(f"{origin}: patch matches {len(matches)} resources, expected 1")
    docs[matches[0]] = merge(docs[matches[0]], patch)


def build(directory: Path) -> list[dict[str, Any]]:
    """The resources `kustomize build DIRECTORY` would emit, in resource order."""
    directory = directory.resolve()
    kustomization = _load_kustomization(directory)
    docs: list[dict[str, Any]] = []
    for entry in kustomization.get("resources") or []:
        target = (directory / entry).resolve()
        if target.is_dir():
            docs.extend(build(target))
        elif target.is_file():
            loaded = yaml.safe_load_all(target.read_text(encoding="utf-8"))
            docs.extend(d for d in loaded if d is not None)
        else:
            raise KustomizeError(f"{directory}: resource {entry} does not exist")
    for item in kustomization.get("patches") or []:
        if set(item) - {"path", "patch"}:
            raise KustomizeError(f"{directory}: only path/patch patches are supported: {item}")
        text = (directory / item["path"]).read_text() if "path" in item else item["patch"]
        _apply_patch(docs, yaml.safe_load(text), f"{directory}/{item.get('path', 'patch')}")
    namespace = kustomization.get("namespace")
    if namespace:
        for doc in docs:
            doc.setdefault("metadata", {})["namespace"] = namespace
    if kustomization.get("commonLabels"):
        for doc in docs:
            _add_labels(doc, kustomization["commonLabels"], selectors=True, templates=True)
    for spec in kustomization.get("labels") or []:
        for doc in docs:
            _add_labels(
                doc,
                spec["pairs"],
                selectors=bool(spec.get("includeSelectors", False)),
                templates=bool(spec.get("includeTemplates", False)),
            )
    if kustomization.get("images"):
        for doc in docs:
            _set_images(doc, kustomization["images"])
    return docs


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return root


DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata: {name: api, namespace: base-ns, labels: {app: api}}
spec:
  selector: {matchLabels: {app: api}}
  template:
    metadata: {labels: {app: api}}
    spec:
      containers:
        - {name: server, image: api, args: [a]}
        - {name: sidecar, image: "proxy:1.2.3"}
"""


def test_overlay_sets_namespace_labels_images_and_patches(tmp_path: Path) -> None:
    zeros = "sha256:" + "0" * 64
    real = "sha256:" + "a" * 64
    _write(
        tmp_path,
        {
            "base/kustomization.yaml": "kind: Kustomization\nresources: [deployment.yaml]\n"
            f"images: [{{name: api, newName: reg.io/ml/api, digest: '{zeros}'}}]\n",
            "base/deployment.yaml": DEPLOYMENT,
            "prod/kustomization.yaml": "kind: Kustomization\nnamespace: prod\n"
            "resources: [../base]\npatches: [{path: patch.yaml}]\n"
            "labels: [{pairs: {env: prod}, includeSelectors: false}]\n"
            f"images: [{{name: reg.io/ml/api, digest: '{real}'}}]\n",
            "prod/patch.yaml": "kind: Deployment\nmetadata: {name: api}\n"
            "spec: {template: {spec: {containers: [{name: server, args: [b]}]}}}\n",
        },
    )
    (doc,) = build(tmp_path / "prod")
    server, sidecar = doc["spec"]["template"]["spec"]["containers"]
    assert doc["metadata"]["namespace"] == "prod"
    assert doc["metadata"]["labels"] == {"app": "api", "env": "prod"}
    assert doc["spec"]["selector"]["matchLabels"] == {"app": "api"}
    assert server == {"name": "server", "image": f"reg.io/ml/api@{real}", "args": ["b"]}
    assert sidecar["image"] == "proxy:1.2.3"


def test_unsupported_fields_are_refused(tmp_path: Path) -> None:
    _write(tmp_path, {"kustomization.yaml": "kind: Kustomization\nnamePrefix: x-\n"})
    with pytest.raises(KustomizeError, match="namePrefix"):
        build(tmp_path)


def test_a_patch_must_match_exactly_one_resource(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "kustomization.yaml": "kind: Kustomization\nresources: [d.yaml]\n"
            "patches: [{path: p.yaml}]\n",
            "d.yaml": DEPLOYMENT,
            "p.yaml": "kind: Deployment\nmetadata: {name: other}\n",
        },
    )
    with pytest.raises(KustomizeError, match="matches 0"):
        build(tmp_path)

"""R5: container images in Kubernetes manifests must be immutable references."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator

from architect_k.audit.k8s import (
    containers,
    covered_dirs,
    kustomizations,
    kustomize_images,
    split_image,
)
from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo

# Image references are data, not code: matching them with patterns is parsing, not guessing.
_DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")
_SEMVER = re.compile(r"^v?\d+\.\d+\.\d+([-+][0-9A-Za-z.\-+]+)?$")


# A tag that carries its build date (minio's RELEASE.2020-10-18T21-54-12Z) names one build.
_DATED = re.compile(r"(?:^|\D)20\d\d-?[01]\d-?[0-3]\d(?:\D|$)")


def _templated(ref: str) -> bool:
    return "$" in ref or "{{" in ref


def _not_a_reference(ref: str) -> bool:
    """``ko://`` import paths (ko builds them and writes a digest at deploy time) and policy
    patterns such as ``*@sha256:*`` are not image references to pin."""
    return ref.startswith("ko://") or "*" in ref


def _pinned(tag: str | None, digest: str | None) -> bool:
    if digest is not None:
        return bool(_DIGEST.match(digest))
    return tag is not None and bool(_SEMVER.match(tag) or _DATED.search(tag))


def _why(ref: str, tag: str | None, digest: str | None) -> str:
    if digest is not None:
        return f"image `{ref}` has a malformed digest"
    if tag is None:
        return f"image `{ref}` has no tag and no digest (resolves to :latest)"
    if tag == "latest":
        return f"image `{ref}` uses the mutable tag :latest"
    return f"image `{ref}` uses the moving tag :{tag} (neither a digest nor MAJOR.MINOR.PATCH)"


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Flag mutable image references, honouring kustomize ``images:`` digest overrides."""
    overrides: dict[tuple[str, str], bool] = {}
    for kpath, kdoc in kustomizations(repo):
        entries = kustomize_images(kpath, kdoc)
        if not entries:
            continue
        dirs = covered_dirs(repo, kpath, kdoc)
        for entry in entries:
            pinned = _pinned(entry.new_tag, entry.digest)
            if not pinned:
                shown = entry.new_name or entry.name
                yield Hit(
                    kpath,
                    entry.line,
                    _why(shown, entry.new_tag, entry.digest) + " in kustomize images:",
                )
            for folder in dirs:
                overrides[(folder, entry.name)] = pinned
    for path, doc in repo.k8s_docs():
        folder = posixpath.dirname(path)
        for c in containers(doc, path):
            if not c.image or _templated(c.image) or _not_a_reference(c.image):
                continue
            name, tag, digest = split_image(c.image)
            if digest is None and (folder, name) in overrides:
                continue
            if _pinned(tag, digest):
                continue
            kind = doc.get("kind", "object")
            yield Hit(path, c.line, f"{_why(c.image, tag, digest)} ({kind} container `{c.name}`)")

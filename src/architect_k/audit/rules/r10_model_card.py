"""R10: a CI pipeline that pushes to a registry must also generate a model card."""

from __future__ import annotations

import ast
import posixpath
import re
from collections.abc import Iterator

from architect_k.audit.ci import Step, ci_files, steps
from architect_k.audit.model import Hit, Rule
from architect_k.audit.pyast import PyModule, call_name, last
from architect_k.audit.pyrun import invoked_modules
from architect_k.audit.repo import Repo
from architect_k.audit.shell import split_commands

_WORDS = re.compile(r"[^a-z0-9]+")
PUSH_CALLS = frozenset(
    {
        "register_model",
        "create_model_version",
        "push_to_hub",
        "upload_folder",
        "upload_file",
        "create_registered_model",
        "log_model_version",
    }
)
CARD_MARKERS = ("model card", "model_card", "modelcard", "model-card")
PUSH_ACTIONS = (
    "docker/build-push-action",
    "redhat-actions/push-to-registry",
    "huggingface/hub-upload",
)


# Stores that are not a release: the workflow's own artifact storage and cache, and the
# throwaway registries of an e2e cluster (kind's local registry, localhost).
EPHEMERAL_ACTIONS = frozenset({"actions/upload-artifact", "actions/cache", "actions/cache/save"})
_LOCAL_REGISTRY = re.compile(r"^(?:localhost|127\.0\.0\.1|kind-registry|registry\.local)(?::\d+)?/")


def _command_push(cmd: list[str]) -> bool:
    if any(_LOCAL_REGISTRY.match(w) for w in cmd[1:]):
        return False  # pushes to the ephemeral registry of a test cluster
    words = [w.rpartition("/")[2] for w in cmd]
    if (
        len(words) >= 2
        and words[0] in {"docker", "podman", "nerdctl", "crane", "oras"}
        and (
            words[1] == "push"
            or (words[1] in {"buildx", "image"} and ("push" in words[2:3] or "--push" in words))
        )
    ):
        return True
    if words[:1] == ["skopeo"] and "copy" in words:
        return True
    if words[:1] and words[0] in {"huggingface-cli", "hf"} and "upload" in words:
        return True
    if words[:2] == ["mlflow", "models"] and "register" in " ".join(words):
        return True
    joined = " ".join(words)
    return any(
        seq in joined
        for seq in ("ai models upload", "ml model create", "create-model-package", "artifact put")
    )


def _module_markers(repo: Repo, mods: list[PyModule]) -> tuple[bool, bool]:
    """(pushes, writes_card) over the repo code reachable from the invoked modules."""
    pushes = card = False
    for mod in mods:
        for cur, node in repo.reachable(mod):
            for sub in ast.walk(node):
                if isinstance(sub, ast.Call):
                    name = call_name(sub, cur.imports)
                    tail = last(name)
                    if tail in PUSH_CALLS or any(
                        k.arg == "registered_model_name" for k in sub.keywords
                    ):
                        pushes = True
                    if tail in {"set_tags", "ModelCard", "from_template"} or any(
                        m in name.lower() for m in CARD_MARKERS[1:]
                    ):
                        card = True
                elif isinstance(sub, ast.Constant) and isinstance(sub.value, str):
                    if any(m in sub.value.lower() for m in CARD_MARKERS):
                        card = True
                elif isinstance(sub, ast.FunctionDef) and any(
                    m in sub.name.lower() for m in CARD_MARKERS[1:]
                ):
                    card = True
    return pushes, card


def _classify(repo: Repo, step: Step) -> tuple[bool, bool]:
    text = step.text.lower()
    card = any(m in text for m in CARD_MARKERS) or "set_tags" in text
    push = False
    if step.uses.split("@")[0] in PUSH_ACTIONS:
        value = str(step.with_.get("push", "true" if "hub" in step.uses else "false")).lower()
        push = value not in {"false", "0", ""}
    words = set(_WORDS.split(step.name.lower()))
    ephemeral = step.uses.split("@")[0] in EPHEMERAL_ACTIONS
    if words & {"publish", "register", "upload"} and "model" in words and not ephemeral:
        push = True
    for cmd in split_commands(step.run):
        if _command_push(cmd):
            push = True
        mods = invoked_modules(repo, cmd, step.path)
        if "-c" in cmd:
            try:
                tree = (
                    ast.parse(cmd[cmd.index("-c") + 1]) if cmd.index("-c") + 1 < len(cmd) else None
                )
            except SyntaxError:
                tree = None
            if tree is not None:
                mods.append(PyModule(path=step.path, modname="", tree=tree))
        if mods:
            p, c = _module_markers(repo, mods)
            push, card = push or p, card or c
    return push, card


def _groups(repo: Repo, files: list[str]) -> dict[str, set[str]]:
    """Workflows joined through local reusable-workflow calls share one card requirement."""
    group = {f: {f} for f in files}
    for rel in files:
        for step in steps(repo, rel):
            ref = step.uses
            if ref.startswith("./"):
                target = posixpath.normpath(ref[2:].split("@")[0])
                if target in group:
                    merged = group[rel] | group[target]
                    for member in merged:
                        group[member] = merged
    return group


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Flag each push step of a pipeline (group) that has no model card step."""
    files = ci_files(repo)
    classified = {rel: [(s, *_classify(repo, s)) for s in steps(repo, rel)] for rel in files}
    groups = _groups(repo, files)
    for rel in files:
        has_card = any(card for member in groups[rel] for _, _, card in classified[member])
        if has_card:
            continue
        for step, push, _ in classified[rel]:
            if push:
                what = step.name or step.uses or step.run.strip().splitlines()[0]
                yield Hit(
                    rel,
                    step.line,
                    f"CI step `{what}` pushes to a registry and the "
                    "pipeline generates no model card",
                )

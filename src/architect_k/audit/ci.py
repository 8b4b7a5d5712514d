"""CI pipeline discovery and step extraction (GitHub Actions, GitLab, CircleCI, Azure, ...)."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from architect_k.audit.repo import Repo, walk_yaml
from architect_k.audit.yamlio import node_line

_RUN_KEYS = (
    "run",
    "script",
    "before_script",
    "after_script",
    "bash",
    "pwsh",
    "powershell",
    "command",
    "commands",
    "sh",
)


@dataclass
class Step:
    """One CI step (or job script) with the shell text it runs."""

    path: str
    line: int
    name: str
    run: str
    uses: str
    with_: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        """Everything that describes the step, for keyword detection."""
        extra = " ".join(f"{k}={v}" for k, v in self.with_.items())
        return f"{self.name}\n{self.uses}\n{self.run}\n{extra}"


def is_ci_file(rel: str) -> bool:
    """True for a CI pipeline definition."""
    base = posixpath.basename(rel)
    folder = posixpath.dirname(rel)
    if not rel.endswith((".yml", ".yaml")):
        return False
    return (
        folder == ".github/workflows"
        or (folder.startswith(".github/actions") and base in {"action.yml", "action.yaml"})
        or base
        in {
            ".gitlab-ci.yml",
            "azure-pipelines.yml",
            "azure-pipelines.yaml",
            "bitbucket-pipelines.yml",
            ".drone.yml",
            "cloudbuild.yaml",
            "cloudbuild.yml",
        }
        or rel == ".circleci/config.yml"
        or folder == ".buildkite"
        or folder == ".gitlab/ci"
    )


def ci_files(repo: Repo) -> list[str]:
    """Repo-relative paths of every CI pipeline file."""
    return [rel for rel in repo.yaml if is_ci_file(rel)]


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        return "\n".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return _as_text(value.get("command") or value.get("run") or value.get("script") or "")
    return ""


def steps(repo: Repo, rel: str) -> list[Step]:
    """Every step-like mapping of a CI file, in document order."""
    out: list[Step] = []
    for doc in repo.yaml_docs(rel):
        for node in walk_yaml(doc):
            if not isinstance(node, dict):
                continue
            run = "\n".join(_as_text(node[k]) for k in _RUN_KEYS if k in node)
            uses = node.get("uses")
            if not run.strip() and not isinstance(uses, str):
                continue
            with_ = node.get("with")
            out.append(
                Step(
                    path=rel,
                    line=node_line(node),
                    name=str(node.get("name") or ""),
                    run=run,
                    uses=uses if isinstance(uses, str) else "",
                    with_=dict(with_) if isinstance(with_, dict) else {},
                )
            )
    out.sort(key=lambda s: s.line)
    return out

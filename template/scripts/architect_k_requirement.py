"""Print the pip requirement for the architect-k version this repository was rendered from.

CI audits the repository with the rules of the template release that generated it: the source
and commit come from .copier-answers.yml, so `copier update` moves both together.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import yaml

ANSWERS = Path(".copier-answers.yml")
_DESCRIBE = re.compile(r"-g([0-9a-f]{7,40})$")


def git_url(source: str) -> str | None:
    """A URL pip can clone for a copier source, or None for a local path."""
    if source.startswith("gh:"):
        return f"https://github.com/{source[3:]}"
    if source.startswith("gl:"):
        return f"https://gitlab.com/{source[3:]}"
    if source.startswith("git+"):
        return source[4:]
    if source.startswith(("https://", "ssh://")):
        return source
    if re.match(r"^[\w.-]+@[\w.-]+:", source):
        user_host, path = source.split(":", 1)
        return f"ssh://{user_host}/{path}"
    return None


def requirement(answers: dict[str, object]) -> str:
    """`architect-k @ git+URL@REV` for the recorded template source and commit."""
    source = str(answers.get("_src_path") or "")
    commit = str(answers.get("_commit") or "")
    url = git_url(source)
    if url is None:
        raise SystemExit(
            f"{ANSWERS}: _src_path is {source!r}, a local path CI cannot install architect-k "
            "from. Re-render from the template's Git URL (`copier copy gh:ORG/architect-k .`) "
            "or record it with `copier update --trust --vcs-ref <tag>` from that URL."
        )
    if not commit:
        raise SystemExit(f"{ANSWERS}: _commit is missing; re-render from a tagged template.")
    described = _DESCRIBE.search(commit)
    return f"architect-k @ git+{url}@{described.group(1) if described else commit}"


if __name__ == "__main__":
    loaded = yaml.safe_load(ANSWERS.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict):
        sys.exit(f"{ANSWERS}: expected a mapping of answers")
    print(requirement(loaded))

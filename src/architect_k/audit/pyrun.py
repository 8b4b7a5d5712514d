"""Follow a shell ``python ...`` invocation to the repo module it runs."""

from __future__ import annotations

import posixpath

from architect_k.audit.pyast import PyModule
from architect_k.audit.repo import Repo


def invoked_modules(repo: Repo, cmd: list[str], near: str = "") -> list[PyModule]:
    """Repo modules run by ``python -m pkg.mod`` / ``python path/x.py`` / ``uv run ...``."""
    out: list[PyModule] = []
    for i, word in enumerate(cmd):
        base = word.rpartition("/")[2]
        if not (base.startswith("python") or base in {"run"}):
            continue
        rest = cmd[i + 1 :]
        if len(rest) >= 2 and rest[0] == "-m":
            mod = repo.module_by_name(rest[1])
            if mod is not None:
                out.append(mod)
            break
        for arg in rest:
            if arg.startswith("-"):
                continue
            if arg.endswith(".py"):
                for cand in (
                    posixpath.normpath(arg),
                    posixpath.normpath(posixpath.join(posixpath.dirname(near), arg)),
                ):
                    if repo.exists(cand):
                        mod = repo.module(cand)
                        if mod is not None:
                            out.append(mod)
                        break
            break
    return out

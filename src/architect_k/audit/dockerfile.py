"""A small Dockerfile instruction reader (continuations, comments, exec form)."""

from __future__ import annotations

import json
from dataclasses import dataclass


@dataclass(frozen=True)
class Instruction:
    """One Dockerfile instruction with the line it starts on."""

    line: int
    keyword: str
    args: str

    def shell(self) -> str:
        """The command a RUN executes, exec form flattened to a shell string."""
        body = self.args.strip()
        if body.startswith("["):
            try:
                parts = json.loads(body)
            except ValueError:
                return body
            if isinstance(parts, list):
                return " ".join(str(p) for p in parts)
        return body


def parse(text: str) -> list[Instruction]:
    """Split a Dockerfile into instructions; heredocs are kept as part of their RUN."""
    out: list[Instruction] = []
    buf: list[str] = []
    start = 0
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if not buf and (not stripped or stripped.startswith("#")):
            continue
        if buf and stripped.startswith("#"):
            continue
        if not buf:
            start = number
        if stripped.endswith("\\"):
            buf.append(stripped[:-1])
            continue
        buf.append(stripped)
        joined = " ".join(buf).strip()
        buf = []
        keyword, _, args = joined.partition(" ")
        out.append(Instruction(start, keyword.upper(), args.strip()))
    if buf:
        joined = " ".join(buf).strip()
        keyword, _, args = joined.partition(" ")
        out.append(Instruction(start, keyword.upper(), args.strip()))
    return out

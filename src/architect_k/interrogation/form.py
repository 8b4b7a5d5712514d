"""The Requirements Interrogation Form: every missing or invalid answer, in one report."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence

from architect_k.interrogation.checks import Problem
from architect_k.interrogation.fields import FIELDS_BY_NAME, INVARIANTS

_INVARIANT_OF = {name: invariant for invariant, names in INVARIANTS.items() for name in names}


def _indent(text: str, prefix: str) -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _wrap(text: str, prefix: str) -> str:
    return textwrap.fill(text, width=96, initial_indent=prefix, subsequent_indent=prefix + "  ")


def render_form(problems: Sequence[Problem]) -> str:
    """Render the form: the verdict, then each answer with the problem, the reason, an example."""
    missing = [p for p in problems if p.missing]
    invalid = [p for p in problems if not p.missing]
    counts = []
    if missing:
        counts.append(f"{len(missing)} missing")
    if invalid:
        counts.append(f"{len(invalid)} invalid")
    lines = [
        f"HALT: Requirements Interrogation Form ({', '.join(counts)}). Nothing was rendered.",
        "",
    ]
    absent = {_INVARIANT_OF[p.field] for p in missing if p.field in _INVARIANT_OF}
    absent_invariants = [name for name in INVARIANTS if name in absent]
    if absent_invariants:
        lines += [
            "A production service cannot be built without: " + ", ".join(absent_invariants) + ".",
            "",
        ]
    for title, group in (("Missing", missing), ("Invalid", invalid)):
        if not group:
            continue
        lines.append(f"{title}:")
        by_field: dict[str, list[str]] = {}
        for problem in group:
            by_field.setdefault(problem.field, []).append(problem.message)
        for name, messages in by_field.items():
            field = FIELDS_BY_NAME.get(name)
            invariant = _INVARIANT_OF.get(name)
            tag = f"  [invariant: {invariant}]" if invariant else ""
            lines.append(f"  - {name}{tag}")
            lines.extend(_wrap(f"problem: {message}", "      ") for message in messages)
            if field is not None:
                lines.append(_wrap(f"why: {field.why}", "      "))
                lines.append("      example:")
                lines.append(_indent(field.example, "        "))
        lines.append("")
    lines += [
        "Put the answers in a file and run:",
        "  copier copy --trust --defaults --data-file answers.yml <template> <destination>",
    ]
    return "\n".join(lines)

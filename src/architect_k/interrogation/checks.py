"""The interrogation's verdict on a set of answers: every problem, in the form's words.

The answers are validated by the model in answers.py; this module turns its errors into
`Problem`s attributed to one answer each, so the same verdict serves the one-shot Requirements
Interrogation Form (all problems at once) and copier's per-question validators (the problems of
the question being asked, given the answers before it).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from architect_k.credentials import credential_kind
from architect_k.interrogation.answers import Answers
from architect_k.interrogation.dataset import DatasetSchema
from architect_k.interrogation.fields import FIELDS_BY_NAME

__all__ = ["Problem", "check_answers", "check_schema", "coerce_number"]


@dataclass(frozen=True)
class Problem:
    """One answer that is missing or wrong, and what is wrong with it."""

    field: str
    message: str
    missing: bool = False


def coerce_number(value: Any, *, integer: bool) -> int | float | None:
    """Read a number from an answer; CLI `--data` values arrive as strings."""
    if isinstance(value, str):
        try:
            value = int(value) if integer else float(value)
        except ValueError:
            return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if integer:
        if isinstance(value, float) and not value.is_integer():
            return None
        return int(value)
    return float(value)


def _messages(error: ErrorDetails) -> list[str]:
    """The form's lines for one validation error below an answer (its location names where)."""
    loc = error["loc"]
    if error["type"] == "refused":
        messages: list[str] = error["ctx"]["messages"]
    else:  # every answer words its own errors; should one not, show the value, not pydantic's prose
        messages = [f"{error['input']!r} is not accepted here"]
    # Inside dataset_schema.columns.<name>: name the column (its key errors name it already).
    if len(loc) >= 3 and loc[1] == "columns" and loc[-1] != "[key]":
        return [f"column {loc[2]!r}: {message}" for message in messages]
    return messages


def check_schema(schema: Any) -> list[str]:
    """Validate `dataset_schema`; returns one message per problem found."""
    try:
        DatasetSchema.model_validate(schema)
    except ValidationError as error:
        details = error.errors(include_url=False)
        return [m for d in details for m in _messages({**d, "loc": ("dataset_schema", *d["loc"])})]
    return []


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Mapping):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list | tuple):
        return [s for item in value for s in _strings(item)]
    return []


def _check_credentials(answers: Mapping[str, Any]) -> list[Problem]:
    """R2 across every answer, whatever its type: a credential is refused wherever it hides."""
    problems = []
    for name, value in answers.items():
        for text in _strings(value):
            kind = credential_kind(text)
            if kind:
                problems.append(
                    Problem(
                        name,
                        f"looks like a {kind}. R2 refuses credentials in any artifact: keep it in "
                        "a Kubernetes Secret or your cloud's secret manager and answer without it",
                    )
                )
                break
    return problems


def _problems(error: ErrorDetails, *, require_all: bool) -> list[Problem]:
    name = str(error["loc"][0])
    if error["type"] == "missing" and len(error["loc"]) == 1:
        return (
            [Problem(name, "is required and has no default", missing=True)] if require_all else []
        )
    if error["type"] == "extra_forbidden" and len(error["loc"]) == 1:
        close = get_close_matches(name, FIELDS_BY_NAME, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return [Problem(name, f"is not a question of this template{hint}")]
    return [Problem(name, message) for message in _messages(error)]


def check_answers(answers: Mapping[str, Any], *, require_all: bool) -> list[Problem]:
    """Check every answer given; with `require_all`, also report each required one missing.

    An answer that is None or "" counts as not given, as copier leaves an unanswered question.
    """
    given = {
        name: value
        for name, value in answers.items()
        if name not in FIELDS_BY_NAME or (value is not None and value != "")
    }
    problems: list[Problem] = []
    try:
        Answers.model_validate(given, context={"answers": given})
    except ValidationError as error:
        for detail in error.errors(include_url=False):
            problems.extend(_problems(detail, require_all=require_all))
    return problems + _check_credentials(answers)

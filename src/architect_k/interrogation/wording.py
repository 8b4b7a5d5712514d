"""How the interrogation words a refusal: its own messages, never pydantic's.

A type or constraint error is re-worded where the field is declared (:func:`says`), and the
checks raise :func:`refuse`; checks.py turns both into lines of the Requirements Interrogation
Form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic import ValidationError, ValidatorFunctionWrapHandler, WrapValidator
from pydantic_core import PydanticCustomError


def refuse(*messages: str) -> PydanticCustomError:
    """The error for an answer refused for these reasons, each one line of the form."""
    context = {"message": "; ".join(messages), "messages": list(messages)}
    return PydanticCustomError("refused", "{message}", context)


def says(message: Callable[[Any], str], *, numeric: bool = False) -> WrapValidator:
    """Word any type or constraint error of the annotated type as ``message(value)``.

    ``numeric`` also refuses booleans, which pydantic would read as 1 and 0.
    """

    def validate(value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        if numeric and isinstance(value, bool):
            raise refuse(message(value))
        try:
            return handler(value)
        except ValidationError:
            raise refuse(message(value)) from None

    return WrapValidator(validate)


def one_of(choices: tuple[str, ...], extra: str = "") -> WrapValidator:
    """Word a value outside ``choices`` as not one of them."""
    return says(lambda value: f"{value!r} is not one of {', '.join(choices)}{extra}")

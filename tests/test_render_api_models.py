"""The service's API types are written by Python at render time, the template only prints them."""

from __future__ import annotations

import json
from typing import Any

from architect_k.render_api_models import prediction_field, record_field, typing_names


def literal(value: Any, at: int | None = None, indent: int = 0) -> str:
    """A stand-in for the template's `py` filter that never wraps."""
    del at, indent
    return json.dumps(value) if isinstance(value, str) else repr(value)


def column(name: str, dtype: str, **spec: Any) -> dict[str, Any]:
    return {
        "name": name,
        "dtype": dtype,
        "nullable": False,
        "min": None,
        "max": None,
        "categories": [],
        "description": "",
    } | spec


def test_a_number_is_strict_and_bounded_by_the_contract_or_the_model_domain() -> None:
    assert record_field(column("age", "int", min=0), literal) == (
        "age: Annotated[int, Field(strict=True, ge=0, le=INT_LIMIT)]"
    )
    beyond = record_field(column("x", "float", min=-1e300, max=1e300), literal)
    assert "            ge=-FLOAT_LIMIT,\n            le=FLOAT_LIMIT,\n" in beyond
    assert "allow_inf_nan=False" in beyond


def test_a_long_nullable_field_is_spread_over_lines_and_stays_optional() -> None:
    field = record_field(column("support_tickets", "int", nullable=True, min=0), literal)
    assert field.splitlines() == [
        "support_tickets: NotRequired[Annotated[",
        "        int,",
        "        Field(",
        "            strict=True,",
        "            ge=0,",
        "            le=INT_LIMIT,",
        "        ),",
        "    ] | None]",
    ]


def test_categories_become_a_literal_and_ambiguous_names_are_excused() -> None:
    assert record_field(column("l", "category", categories=["a", "b"]), literal) == (
        'l: Literal["a", "b"]  # noqa: E741'
    )
    many = [f"label-{n:02d}" for n in range(12)]
    few = column("y", "category", categories=["no", "yes"])
    assert prediction_field("binary", few, literal) == 'prediction: Literal["no", "yes"]'
    wrapped = prediction_field("multiclass", column("y", "category", categories=many), literal)
    assert wrapped.splitlines()[0] == "prediction: Literal["
    assert wrapped.splitlines()[1:-1] == [f'        "{label}",' for label in many]


def test_typing_imports_are_only_what_the_annotations_use() -> None:
    numbers = [column("a", "float")]
    assert typing_names(numbers, "regression", column("y", "float")) == [
        "Annotated",
        "Any",
        "Final",
        "final",
    ]
    mixed = [column("a", "float", nullable=True), column("c", "category", categories=["x"])]
    assert "Literal" in typing_names(mixed, "regression", column("y", "float"))
    assert "NotRequired" in typing_names(mixed, "regression", column("y", "float"))
    assert "Literal" in typing_names(numbers, "binary", column("y", "category"))

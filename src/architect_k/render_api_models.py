"""The source lines of the service's request and response types (serve/api_models.py).

Each feature of the dataset contract becomes one field of the `Record` TypedDict, annotated
with the pydantic constraints that hold a client to the contract; the target becomes the type
of `Prediction.prediction`. The annotations are built here, in Python, so that the template
only prints them. A field too long for one line is spread over several, within the service's
line length (100).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

#: Formats a value as a Python literal: `literal(value)` inline, `literal(value, at, indent)`
#: wrapped in parentheses when it would run past the line length from column `at`.
LiteralFormatter = Callable[..., str]

#: The model's input domain (serve/api_models.py's INT_LIMIT and FLOAT_LIMIT): a bound
#: beyond it is replaced by the limit itself.
LIMITS: dict[str, tuple[float, str]] = {
    "int": (2**53, "INT_LIMIT"),
    "float": (3.4028234663852886e38, "FLOAT_LIMIT"),
}
#: pycodestyle's E741 flags these as names; here they are the contract's column names.
AMBIGUOUS_NAMES = frozenset({"l", "O", "I"})
#: How long a field line may be before it is wrapped (the line length, less a margin).
FIELD_WIDTH = 84
LINE_LENGTH = 100


def _bound(column: Mapping[str, Any], key: str, literal: LiteralFormatter) -> str:
    limit, name = LIMITS[column["dtype"]]
    value = column[key]
    if key == "min":
        return literal(value) if value is not None and value >= -limit else f"-{name}"
    return literal(value) if value is not None and value <= limit else name


def _field_arguments(column: Mapping[str, Any], literal: LiteralFormatter) -> list[str]:
    """The arguments of `Field(...)` for a bool, int or float feature."""
    arguments = ["strict=True"]
    if column["dtype"] == "float":
        arguments.append("allow_inf_nan=False")
    if column["dtype"] != "bool":
        arguments.append(f"ge={_bound(column, 'min', literal)}")
        arguments.append(f"le={_bound(column, 'max', literal)}")
    if column["description"]:
        arguments.append(f"description={literal(column['description'], 24, 12)}")
    return arguments


def record_field(column: Mapping[str, Any], literal: LiteralFormatter) -> str:
    """`name: annotation` for one feature, wrapped over several lines when it is too long;
    continuation lines carry their indent, the first line does not."""
    name = column["name"]
    if column["dtype"] == "category":
        head = "Literal["
        items = [literal(category) for category in column["categories"]]
    else:
        arguments = _field_arguments(column, literal)
        head = "Annotated["
        items = [column["dtype"], f"Field({', '.join(arguments)})"]
    annotation = f"{head}{', '.join(items)}]"
    if column["nullable"]:
        annotation = f"NotRequired[{annotation} | None]"
    noqa = "  # noqa: E741" if name in AMBIGUOUS_NAMES else ""
    if "\n" not in annotation and 4 + len(name) + 2 + len(annotation) <= FIELD_WIDTH:
        return f"{name}: {annotation}{noqa}"
    opening = "NotRequired[" if column["nullable"] else ""
    lines = [f"{name}: {opening}{head}{noqa}"]
    if column["dtype"] == "category":
        lines += [f"        {literal(category, 8, 8)}," for category in column["categories"]]
    else:
        lines += [f"        {column['dtype']},", "        Field("]
        lines += [f"            {argument}," for argument in arguments]
        lines.append("        ),")
    lines.append("    ]" + (" | None]" if column["nullable"] else ""))
    return "\n".join(lines)


def prediction_field(task: str, target: Mapping[str, Any], literal: LiteralFormatter) -> str:
    """`prediction: type` of the Prediction TypedDict, from the task and the target column."""
    if task == "regression":
        return "prediction: float"
    if target["dtype"] == "bool":
        return "prediction: bool"
    if target["dtype"] != "category":
        return "prediction: int"
    labels = ", ".join(literal(category) for category in target["categories"])
    if len(labels) + 25 <= LINE_LENGTH:
        return f"prediction: Literal[{labels}]"
    lines = [f"        {literal(category, 8, 8)}," for category in target["categories"]]
    return "\n".join(["prediction: Literal[", *lines, "    ]"])


def typing_names(
    features: Sequence[Mapping[str, Any]], task: str, target: Mapping[str, Any]
) -> list[str]:
    """What serve/api_models.py imports from typing: only what its annotations use."""
    names = ["Annotated", "Any", "Final"]
    categorical_target = task != "regression" and target["dtype"] == "category"
    if categorical_target or any(c["dtype"] == "category" for c in features):
        names.append("Literal")
    if any(c["nullable"] for c in features):
        names.append("NotRequired")
    return [*names, "final"]


def api_models_context(derived: Mapping[str, Any], literal: LiteralFormatter) -> dict[str, Any]:
    """The `api_models` render value: typing imports, Record's fields, Prediction's field."""
    features = derived["features"]
    task, target = derived["task"], derived["target_column"]
    return {
        "api_models": {
            "typing_names": typing_names(features, task, target),
            "record_fields": [record_field(column, literal) for column in features],
            "prediction_field": prediction_field(task, target, literal),
        }
    }

"""The ``dataset_schema`` answer as pydantic models: the target and each column's spec.

A problem inside a column is worded without the column's name; checks.py prefixes it from the
error's location, so every message names the column it is about.
"""

from __future__ import annotations

import keyword
from collections.abc import Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)

from architect_k.interrogation.defaults import default_task_type
from architect_k.interrogation.fields import (
    DTYPES,
    MAX_COLUMN_NAME,
    MODEL_DTYPES,
    PASSTHROUGH_DTYPES,
    Dtype,
)
from architect_k.interrogation.wording import refuse, says

_COLUMN_NAME = rf"^[A-Za-z_][A-Za-z0-9_]{{0,{MAX_COLUMN_NAME - 1}}}$"
_COLUMN_KEYS = frozenset({"dtype", "nullable", "min", "max", "categories", "description"})
#: "int, float, bool or category", for messages about what the model can train on.
_MODEL_DTYPES_TEXT = f"{', '.join(MODEL_DTYPES[:-1])} or {MODEL_DTYPES[-1]}"
_FINITE = Field(allow_inf_nan=False)


def _a_mapping(data: Any, keys: frozenset[str], example: str, what: str) -> Any:
    """Refuse what is not a mapping of known keys, before the fields are read."""
    if not isinstance(data, Mapping):
        raise refuse(example.format(data=data))
    unknown = sorted(str(key) for key in data if key not in keys)
    if unknown:
        raise refuse(f"unknown keys {unknown}; {what}")
    return data


class Column(BaseModel):
    """One column of ``dataset_schema``: its dtype and the constraints R3 checks rows against."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    dtype: Annotated[
        Dtype, says(lambda value: f"dtype {value!r} is not one of {', '.join(DTYPES)}")
    ] = Field(default=None, validate_default=True)
    nullable: Annotated[bool, says(lambda _: "nullable must be true or false")] = False
    min: Annotated[float, _FINITE, says(lambda _: "min must be a finite number")] | None = None
    max: Annotated[float, _FINITE, says(lambda _: "max must be a finite number")] | None = None
    categories: (
        Annotated[list[Any], says(lambda _: "categories must be a list of non-empty strings")]
        | None
    ) = None
    description: Annotated[str, says(lambda _: "description must be text")] | None = None

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        return _a_mapping(
            data,
            _COLUMN_KEYS,
            "give a mapping such as {{dtype: float}}, not {data!r}",
            f"allowed: {sorted(_COLUMN_KEYS)}",
        )

    @field_validator("min", "max", mode="before")
    @classmethod
    def _written_bound(cls, bound: Any, info: ValidationInfo) -> Any:
        # Runs only on a bound written down: left out means no bound, a null is no number.
        if bound is None:
            raise refuse(f"{info.field_name} must be a finite number")
        return bound

    @model_validator(mode="after")
    def _constraints_fit_the_dtype(self) -> Column:
        problems = [
            f"{bound} applies to int and float columns only"
            for bound in ("min", "max")
            if getattr(self, bound) is not None and self.dtype not in {"int", "float"}
        ]
        if self.min is not None and self.max is not None and self.min > self.max:
            problems.append(f"min {_plain(self.min)} is above max {_plain(self.max)}")
        categories = self.categories
        if self.dtype == "category":
            if not categories:
                problems.append("a category column needs a non-empty list of categories")
            elif not all(isinstance(c, str) and c.strip() for c in categories):
                problems.append("categories must be non-empty strings")
            elif len(set(categories)) != len(categories):
                problems.append("categories repeat")
        elif categories is not None:
            problems.append("categories apply to category columns only")
        if problems:
            raise refuse(*problems)
        return self


def _plain(number: float) -> int | float:
    # pydantic reads 5 as 5.0; the message quotes the bound as it was written.
    return int(number) if number.is_integer() else number


def _not_a_keyword(name: str) -> str:
    if keyword.iskeyword(name):
        raise ValueError(name)
    return name


ColumnName = Annotated[
    str,
    Field(pattern=_COLUMN_NAME),
    AfterValidator(_not_a_keyword),
    says(
        lambda name: (
            f"column {name!r}: names must be identifiers (letters, digits, underscores; not "
            f"starting with a digit, at most {MAX_COLUMN_NAME} characters, not a Python keyword)"
        )
    ),
]


def _some_columns(columns: Any, handler: ValidatorFunctionWrapHandler) -> Any:
    if not isinstance(columns, Mapping) or not columns:
        raise refuse("`columns` must map each column name to its spec, e.g. {age: {dtype: int}}")
    return handler(columns)


class DatasetSchema(BaseModel):
    """The ``dataset_schema`` answer: the target and every column with its spec."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    columns: Annotated[dict[ColumnName, Column], WrapValidator(_some_columns)] = Field(
        default=None, validate_default=True
    )
    target: Annotated[str, says(lambda _: "`target` must name the column the model predicts")] = (
        Field(default=None, validate_default=True)
    )

    @model_validator(mode="before")
    @classmethod
    def _known_keys(cls, data: Any) -> Any:
        return _a_mapping(
            data,
            frozenset({"target", "columns"}),
            "give a mapping with `target` and `columns`",
            "the schema holds `target` and `columns`",
        )

    @field_validator("target")
    @classmethod
    def _target_is_a_trainable_column(cls, target: str, info: ValidationInfo) -> str:
        if not target:
            raise refuse("`target` must name the column the model predicts")
        columns: dict[str, Column] | None = info.data.get("columns")
        if columns is None:
            return target
        if target not in columns:
            raise refuse(f"target {target!r} is not one of the columns ({', '.join(columns)})")
        problems = []
        if columns[target].nullable:
            problems.append(f"target {target!r} cannot be nullable: unlabelled rows cannot train")
        if columns[target].dtype in PASSTHROUGH_DTYPES:
            problems.append(f"target {target!r} must be {_MODEL_DTYPES_TEXT}")
        if not any(n != target and c.dtype in MODEL_DTYPES for n, c in columns.items()):
            problems.append(
                f"no usable feature: at least one {_MODEL_DTYPES_TEXT} column besides the target"
            )
        if problems:
            raise refuse(*problems)
        return target

    def implied_task(self) -> str | None:
        """The task the target's dtype implies (``defaults.default_task_type``)."""
        return default_task_type(self.model_dump(exclude_none=True))

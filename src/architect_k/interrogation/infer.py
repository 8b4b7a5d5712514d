"""Infer a `dataset_schema` from a schema file (YAML/JSON) or a sample (CSV/Parquet)."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import yaml

#: How many sample rows inference reads; enough to see categories, cheap on any file.
SAMPLE_ROWS = 10_000
#: A text column with at most this many distinct values is treated as a category.
MAX_CATEGORIES = 50
_INT = re.compile(r"^[+-]?\d+$")
_BOOL = {"true", "false"}


class SchemaSourceError(ValueError):
    """The schema source cannot be read; the message says why."""


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return any(sep in text for sep in "-/:")


def _infer_column(values: Sequence[str]) -> dict[str, Any]:
    present = [v.strip() for v in values if v.strip() != ""]
    spec: dict[str, Any]
    if not present:
        spec = {"dtype": "string"}
    elif all(v.lower() in _BOOL for v in present):
        spec = {"dtype": "bool"}
    elif all(_INT.match(v) for v in present):
        spec = {"dtype": "int"}
    elif all(_is_float(v) for v in present):
        spec = {"dtype": "float"}
    elif all(_is_datetime(v) for v in present):
        spec = {"dtype": "datetime"}
    else:
        distinct = sorted(set(present))
        if len(distinct) <= MAX_CATEGORIES and len(distinct) <= max(2, len(present) // 2):
            spec = {"dtype": "category", "categories": distinct}
        else:
            spec = {"dtype": "string"}
    if len(present) < len(values):
        spec["nullable"] = True
    return spec


def _schema_from_rows(header: Sequence[str], rows: Iterable[Sequence[str]]) -> dict[str, Any]:
    columns: dict[str, list[str]] = {name: [] for name in header}
    for row in rows:
        for name, value in zip(header, row, strict=False):
            columns[name].append(value)
    if not header or not any(columns.values()):
        raise SchemaSourceError("the sample has a header but no rows to infer dtypes from")
    inferred = {name: _infer_column(values) for name, values in columns.items()}
    # The last column is the usual place for the label; the answer can change it.
    return {"target": header[-1], "columns": inferred}


def _from_csv(path: Path) -> dict[str, Any]:
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if not header:
            raise SchemaSourceError(f"{path} is empty")
        rows = (row for _, row in zip(range(SAMPLE_ROWS), reader, strict=False))
        return _schema_from_rows([h.strip() for h in header], rows)


def _from_parquet(path: Path) -> dict[str, Any]:
    try:
        import pyarrow.parquet as pq  # type: ignore[import-untyped,import-not-found,unused-ignore]
    except ImportError as error:
        raise SchemaSourceError(
            "reading Parquet needs pyarrow in copier's environment "
            "(e.g. `pipx inject copier pyarrow`), or give a CSV sample or a schema file"
        ) from error
    table = pq.ParquetFile(path).read_row_groups([0]).slice(0, SAMPLE_ROWS)
    header = list(table.column_names)
    data = table.to_pydict()
    rows = zip(*(["" if v is None else str(v) for v in data[name]] for name in header), strict=True)
    return _schema_from_rows(header, rows)


def load_schema_source(source: str | Path) -> dict[str, Any]:
    """Read a schema from YAML/JSON, or infer one from a CSV/Parquet sample."""
    path = Path(source).expanduser()
    if not path.is_file():
        raise SchemaSourceError(f"{path} is not a readable file")
    suffix = path.suffix.lower()
    try:
        if suffix in {".yml", ".yaml"}:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        elif suffix == ".json":
            loaded = json.loads(path.read_text(encoding="utf-8"))
        elif suffix == ".csv":
            return _from_csv(path)
        elif suffix == ".parquet":
            return _from_parquet(path)
        else:
            raise SchemaSourceError(
                f"{path.name}: give a .yaml, .yml or .json schema, or a .csv or .parquet sample"
            )
    except (OSError, UnicodeDecodeError, yaml.YAMLError, json.JSONDecodeError) as error:
        raise SchemaSourceError(f"{path} cannot be read: {error}") from error
    if isinstance(loaded, dict) and "dataset_schema" in loaded:
        loaded = loaded["dataset_schema"]
    if not isinstance(loaded, dict):
        raise SchemaSourceError(f"{path} does not hold a mapping with target and columns")
    return loaded

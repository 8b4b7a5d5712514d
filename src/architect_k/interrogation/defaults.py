"""Answers derived from other answers: the package name, a Kubernetes slug, the implied task.

copier.yml offers them as the defaults of their questions (through hooks/extensions.py), and
the answer model uses the implied task to check the metric when no task is given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from architect_k.interrogation.fields import MAX_NAMESPACE, MAX_PACKAGE_NAME


def package_name_for(project_name: str) -> str:
    """Derive a Python package name from the project name ("Churn Service" → churn_service)."""
    name = re.sub(r"[^a-z0-9]+", "_", project_name.lower()).strip("_")
    if name and name[0].isdigit():
        name = f"svc_{name}"
    return name[:MAX_PACKAGE_NAME].rstrip("_")


def slug_for(project_name: str, limit: int = MAX_NAMESPACE) -> str:
    """Derive an RFC 1123 label of at most `limit` characters from the project name
    ("Churn Service" → churn-service); the default fits the namespace question."""
    return re.sub(r"[^a-z0-9]+", "-", project_name.lower()).strip("-")[:limit].strip("-")


def default_task_type(schema: Any) -> str | None:
    """The task the target's dtype implies, or None when the schema does not say."""
    if not isinstance(schema, Mapping):
        return None
    columns = schema.get("columns")
    target = schema.get("target")
    if not isinstance(columns, Mapping) or not isinstance(columns.get(target), Mapping):
        return None
    spec = columns[target]
    dtype = spec.get("dtype")
    if dtype == "bool":
        return "binary_classification"
    if dtype == "category":
        categories = spec.get("categories")
        if isinstance(categories, list) and len(categories) == 2:
            return "binary_classification"
        return "multiclass_classification"
    if dtype in {"int", "float"}:
        return "regression"
    return None

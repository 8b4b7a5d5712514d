"""The requirements interrogation: what a service needs, why, and whether the answers hold."""

from architect_k.interrogation.checks import Problem, check_answers, check_schema, coerce_number
from architect_k.interrogation.defaults import default_task_type, package_name_for, slug_for
from architect_k.interrogation.fields import FIELDS, FIELDS_BY_NAME, INVARIANTS, REQUIRED
from architect_k.interrogation.form import render_form
from architect_k.interrogation.infer import SchemaSourceError, load_schema_source

__all__ = [
    "FIELDS",
    "FIELDS_BY_NAME",
    "INVARIANTS",
    "REQUIRED",
    "Problem",
    "SchemaSourceError",
    "check_answers",
    "check_schema",
    "coerce_number",
    "default_task_type",
    "load_schema_source",
    "package_name_for",
    "render_form",
    "slug_for",
]

"""Copier's bridge to the architect-k package: interrogation checks, derived names, filters.

Loaded by copier-template-extensions (`_jinja_extensions` in copier.yml). It imports the
package from this template's own `src/`, so the rules that render a service are the rules of
the template version being rendered, whatever copier was installed with.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from copier.errors import UserMessageError
from copier_template_extensions import ContextHook
from jinja2 import Environment, pass_context
from jinja2.ext import Extension
from jinja2.runtime import Context

_SRC = Path(__file__).resolve().parents[1] / "src"


def _import_architect_k() -> None:
    """Import architect_k from this template's src/, dropping a copy from another version.

    `copier update` renders the old and the new template in one process; without the purge the
    second render would run the first version's rules.
    """
    loaded = sys.modules.get("architect_k")
    if loaded is not None and Path(loaded.__file__ or "").resolve().parents[1] != _SRC:
        for name in [n for n in sys.modules if n == "architect_k" or n.startswith("architect_k.")]:
            del sys.modules[name]
    if str(_SRC) not in sys.path:
        sys.path.insert(0, str(_SRC))


_import_architect_k()

from architect_k.interrogation import (  # noqa: E402
    FIELDS_BY_NAME,
    SchemaSourceError,
    check_answers,
    default_task_type,
    load_schema_source,
    package_name_for,
    render_form,
    slug_for,
)
from architect_k.ledger.fipi import scar_warnings  # noqa: E402
from architect_k.render_api_models import api_models_context  # noqa: E402
from architect_k.render_context import derive  # noqa: E402
from architect_k.workloads import to_yaml  # noqa: E402


def _given_answers(context: Context) -> dict[str, Any]:
    """The answers known so far: --data, the answers file of an update, earlier questions."""
    answers = {name: context[name] for name in FIELDS_BY_NAME if name in context}
    data = context["_copier_conf"]["data"]
    answers.update({name: value for name, value in data.items() if not name.startswith("_")})
    return answers


def _interactive(context: Context) -> bool:
    return not context["_copier_conf"]["defaults"] and sys.stdin.isatty()


@pass_context
def interrogate(context: Context) -> str:
    """Refuse to go on while any answer is missing or invalid, listing every one at once.

    Runs as the default of a hidden first question. Non-interactive runs must bring every
    required answer; interactive runs are checked on what was passed with --data, and the
    questions re-ask for the rest.
    """
    problems = check_answers(_given_answers(context), require_all=not _interactive(context))
    if problems:
        raise UserMessageError(render_form(problems))
    return ""


@pass_context
def check(context: Context, name: str, value: Any) -> str:
    """Validator for one question: the reasons its answer is refused, or "" when it holds."""
    answers = {n: context[n] for n in FIELDS_BY_NAME if n in context}
    answers[name] = value
    problems = [p.message for p in check_answers(answers, require_all=False) if p.field == name]
    return "; ".join(problems)


_SHOWN_WARNINGS: set[str] = set()


@pass_context
def show_scar_warnings(context: Context) -> str:
    """Print the scars these answers resemble, once, before anything is rendered.

    This is FIPI (docs/architect-k.md §3.5).
    """
    answers = {name: context[name] for name in FIELDS_BY_NAME if name in context}
    key = json.dumps(answers, sort_keys=True, default=str)
    if key not in _SHOWN_WARNINGS and not context["_copier_conf"]["quiet"]:
        _SHOWN_WARNINGS.add(key)
        for warning in scar_warnings(answers):
            print(warning.message, file=sys.stderr)
    return ""


def check_schema_source(source: str) -> str:
    """Validator for `dataset_schema_from`: "" when empty or readable, else why not."""
    if not source.strip():
        return ""
    try:
        load_schema_source(source.strip())
    except SchemaSourceError as error:
        return str(error)
    return ""


def schema_from_source(source: str) -> str:
    """The schema read or inferred from `source`, as JSON text for the next question's default."""
    return json.dumps(load_schema_source(source.strip()), indent=2)


def help_for(name: str) -> str:
    """The question's help: why the generated service needs this answer."""
    return f"{name}: {FIELDS_BY_NAME[name].why}"


#: The generated code's line length (its pyproject.toml sets ruff's to the same).
LINE_LENGTH = 100
#: Escapes Python and TOML basic strings share; every other character outside printable ASCII
#: is written as its code point.
_SHORT_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(char: str) -> str:
    code = ord(char)
    if char in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[char]
    if 0x20 <= code < 0x7F:
        return char
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def _quoted(text: str) -> str:
    """`text` as a double-quoted ASCII literal that Python and TOML both read back unchanged.

    Not JSON's escaping: JSON writes a character beyond U+FFFF as a surrogate pair, which Python
    reads as two lone surrogates (a different string, unencodable as UTF-8) and TOML refuses.
    """
    return '"' + "".join(_escaped(char) for char in text) + '"'


def _pieces(text: str, width: int) -> list[str]:
    """`text` as quoted literals of at most `width` characters each, split after a space when
    one is near the end, never inside an escape."""
    pieces: list[str] = []
    current = ""
    for char in text:
        escaped = _escaped(char)
        if current and len(current) + len(escaped) + 2 > width:
            cut = current.rfind(" ", max(0, len(current) - 20)) + 1
            if cut <= 0:
                cut = len(current)
            pieces.append(f'"{current[:cut]}"')
            current = current[cut:]
        current += escaped
    return [*pieces, f'"{current}"']


def to_python(value: Any, at: int | None = None, indent: int = 0) -> str:
    """A Python literal for `value`: answers render as inert data, never as code.

    Strings come out in the double quotes a formatter would choose, non-ASCII escaped. With
    `at` (the column the literal starts at) a literal that would run past LINE_LENGTH is
    wrapped the way a formatter would: in parentheses, a string as implicitly concatenated
    pieces and a tuple one item per line, indented from `indent` (the statement's indent).
    """
    inline = _inline(value)
    if at is None or at + len(inline) + 1 <= LINE_LENGTH:
        return inline
    inner = " " * (indent + 4)
    if isinstance(value, str):
        lines = _pieces(value, LINE_LENGTH - len(inner))
    elif isinstance(value, list | tuple):
        lines = [f"{to_python(item, len(inner), len(inner))}," for item in value]
    else:
        return inline
    return "(\n" + "".join(f"{inner}{line}\n" for line in lines) + " " * indent + ")"


def _inline(value: Any) -> str:
    if isinstance(value, str):
        return _quoted(value)
    if isinstance(value, bool | int | float) or value is None:
        return repr(value)
    if isinstance(value, list | tuple):
        items = ", ".join(_inline(item) for item in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    raise TypeError(f"no Python literal for {type(value).__name__}")


def to_toml(value: str) -> str:
    """A TOML basic string for `value`, ASCII-escaped."""
    return _quoted(value)


def to_json(value: Any, indent: int | None = None) -> str:
    """A JSON (hence YAML-safe) literal for `value`, ASCII-escaped; a document with `indent`."""
    return json.dumps(value, ensure_ascii=True, sort_keys=False, indent=indent)


class ArchitectK(Extension):
    """Globals and filters that copier.yml and the template use."""

    def __init__(self, environment: Environment) -> None:
        super().__init__(environment)
        functions: dict[str, Callable[..., Any]] = {
            "ak_interrogate": interrogate,
            "ak_check": check,
            "ak_check_schema_source": check_schema_source,
            "ak_help": help_for,
            "ak_show_scar_warnings": show_scar_warnings,
            "ak_schema_from_source": schema_from_source,
            "ak_default_task_type": default_task_type,
            "ak_package_name": package_name_for,
            "ak_slug": slug_for,
        }
        environment.globals.update(functions)
        environment.filters["py"] = to_python
        environment.filters["json"] = to_json
        environment.filters["toml"] = to_toml
        environment.filters["yaml"] = to_yaml


class DerivedContext(ContextHook):
    """Adds the values derived from the answers (names, features, sizes) to the render."""

    _cache: ClassVar[dict[str, dict[str, Any]]] = {}

    def hook(self, context: dict[str, Any]) -> None:
        if str(context.get("_copier_phase")) not in {"render", "tasks"}:
            return
        answers = {name: context[name] for name in FIELDS_BY_NAME if name in context}
        # Every file renders with the same answers: derive once, not once per file.
        key = json.dumps(answers, sort_keys=True, default=str)
        if key not in self._cache:
            derived = derive(answers)
            self._cache[key] = derived | api_models_context(derived, to_python)
        context.update(self._cache[key])

"""R2: no literal credentials in any artifact.

The predicates are the interrogation's (architect_k.credentials), composed here for each kind of
artifact; where the two verdicts differ, and why, is said in that module. They run over what
each artifact is: names bound to literals in the Python AST, YAML/JSON keys, Kubernetes env
entries and Secret data, Dockerfile ENV/ARG, .env lines, ``name = value`` lines of scripts and
config files (and of config files carried in Secret/ConfigMap values), notebook cells; and
well-known key formats on every text artifact, private key files included. Test files keep only
literals that look generated; documented examples, Secret object names, type maps, tokenizer
specials and lockfiles are not credentials.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from architect_k.audit import dockerfile
from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo, is_test_path, notebook_cells, walk_yaml
from architect_k.audit.yamlio import YDict, node_line
from architect_k.credentials import (
    FORMATS,
    assignments,
    format_kind,
    is_credential_name,
    is_literal_secret,
    looks_random,
    name_words,
    names_a_secret_object,
)

# The key formats are the interrogation's own table (architect_k.credentials).
TOKEN_FORMATS = FORMATS
LOCKFILES = frozenset(
    {"pnpm-lock.yaml", "package-lock.json", "yarn.lock", "poetry.lock", "uv.lock", "Pipfile.lock"}
    | {"composer.lock", "Cargo.lock", "Gemfile.lock", "go.sum", "npm-shrinkwrap.json"}
)
# Free-text artifacts whose `name = value` lines are read as assignments.
ASSIGNMENT_SUFFIXES = (
    ".toml", ".ini", ".cfg", ".conf", ".properties", ".sh", ".bash", ".zsh", ".tf", ".tfvars",
    ".hcl", ".mk", ".envrc", ".ps1", ".ipynb",
)  # fmt: skip
ASSIGNMENT_NAMES = frozenset({"Makefile", "makefile", "GNUmakefile", "Justfile", "justfile"})
# Read by a parser of their own above; everything else textual gets the format scan.
_PARSED_SUFFIXES = (".py", ".yaml", ".yml", ".json")


def _bound_literal(rel: str, name: str, value: str) -> bool:
    """A literal bound to a credential name that is worth a finding in this file.

    In tests a literal is a test vector unless it looks generated (``testing``, ``some_token``
    are dummies; a 24-character mixed key is not), and a Kubernetes Secret's name is no secret.
    """
    if not (is_credential_name(name) and is_literal_secret(value)):
        return False
    if names_a_secret_object(name, value):
        return False
    return not is_test_path(rel) or looks_random(value)


@dataclass(frozen=True)
class Credential:
    """A literal credential and what ``--fix`` needs to redact it."""

    path: str
    line: int
    kind: str
    name: str
    detail: str
    span: tuple[int, int, int, int] | None = (
        None  # Python literal: lineno, col, end_lineno, end_col
    )


def _format_hits(value: str) -> list[str]:
    kind = format_kind(value)
    return [kind] if kind else []


def _scan_value(path: str, line: int, value: str) -> Iterator[Credential]:
    labels = _format_hits(value)
    if labels:
        yield Credential(path, line, "format", labels[0], labels[0])


# -- Python ---------------------------------------------------------------------------------
def _target_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if (
        isinstance(node, ast.Subscript)
        and isinstance(node.slice, ast.Constant)
        and isinstance(node.slice.value, str)
    ):
        return node.slice.value
    return None


def _str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    return None


def _python_source_credentials(rel: str, source: str) -> Iterator[Credential]:
    """Credential literals in a piece of Python source (a notebook cell)."""
    tree = ast.parse(source)
    yield from _tree_credentials(rel, ast.walk(tree))


def python_credentials(repo: Repo, rel: str) -> Iterator[Credential]:
    """Credential literals in a Python module, found through its AST."""
    mod = repo.module(rel)
    if mod is None:
        return
    yield from _tree_credentials(rel, mod.nodes(*_NODE_KINDS))


_NODE_KINDS = (
    ast.Assign,
    ast.AnnAssign,
    ast.Call,
    ast.Dict,
    ast.FunctionDef,
    ast.AsyncFunctionDef,
    ast.Compare,
    ast.Constant,
)


def _tree_credentials(rel: str, nodes: Iterable[ast.AST]) -> Iterator[Credential]:
    for node in nodes:
        if not isinstance(node, _NODE_KINDS):
            continue
        pairs: list[tuple[str | None, ast.AST | None, str]] = []
        if isinstance(node, ast.Assign):
            pairs = [(_target_name(t), node.value, "py-assign") for t in node.targets]
        elif isinstance(node, ast.AnnAssign):
            pairs = [(_target_name(node.target), node.value, "py-assign")]
        elif isinstance(node, ast.Call):
            pairs = [(k.arg, k.value, "py-keyword") for k in node.keywords if k.arg]
        elif isinstance(node, ast.Dict):
            pairs = [(_str(k), v, "py-dict") for k, v in zip(node.keys, node.values, strict=False)]
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args.args + node.args.kwonlyargs
            defaults = (
                [None] * (len(node.args.args) - len(node.args.defaults))
                + list(node.args.defaults)
                + list(node.args.kw_defaults)
            )
            pairs = [(a.arg, d, "py-default") for a, d in zip(args, defaults, strict=False)]
        elif isinstance(node, ast.Compare) and len(node.comparators) == 1:
            pairs = [(_target_name(node.left), node.comparators[0], "py-compare")]
        for name, value_node, kind in pairs:
            value = _str(value_node)
            if name and value is not None and _bound_literal(rel, name, value):
                assert isinstance(value_node, ast.Constant)
                span = (
                    value_node.lineno,
                    value_node.col_offset,
                    value_node.end_lineno or value_node.lineno,
                    value_node.end_col_offset or value_node.col_offset,
                )
                yield Credential(
                    rel, value_node.lineno, kind, name, f"`{name}` is bound to a literal", span
                )
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and len(node.value) >= 16:
            for cred in _scan_value(rel, node.lineno, node.value):
                # The line of the match inside a multi-line string, not of its opening quote.
                label = format_kind(node.value)
                pattern = FORMATS.get(label) if label else None
                found = pattern.search(node.value) if pattern else None
                offset = node.value.count("\n", 0, found.start()) if found else 0
                yield Credential(rel, node.lineno + offset, cred.kind, cred.name, cred.detail)


# -- YAML / JSON ----------------------------------------------------------------------------
def _yaml_credentials(rel: str, docs: list[Any]) -> Iterator[Credential]:
    for doc in docs:
        is_secret = isinstance(doc, dict) and doc.get("kind") == "Secret"
        for node in walk_yaml(doc):
            if isinstance(node, str):
                continue
            if not isinstance(node, dict):
                continue
            env_name = node.get("name")
            value = node.get("value")
            if (
                isinstance(env_name, str)
                and isinstance(value, str)
                and set(node) <= {"name", "value"}
            ):
                if _bound_literal(rel, env_name, value):
                    line = node.line_of("value") if isinstance(node, YDict) else node_line(node)
                    yield Credential(
                        rel, line, "k8s-env", env_name, f"env `{env_name}` holds a literal value"
                    )
                continue
            for key, val in node.items():
                if not isinstance(val, str | int) or isinstance(val, bool):
                    continue
                line = node.line_of(key) if isinstance(node, YDict) else 1
                text = str(val)
                if (
                    is_secret
                    and key not in {"name", "namespace", "type"}
                    and is_literal_secret(text)
                    and not _is_certificate(str(key), text)
                ):
                    parent_is_data = node is doc.get("data") or node is doc.get("stringData")
                    if parent_is_data:
                        yield Credential(
                            rel,
                            line,
                            "yaml",
                            str(key),
                            f"Secret manifest commits the value of `{key}`",
                        )
                        continue
                if isinstance(key, str) and isinstance(val, str) and _bound_literal(rel, key, text):
                    yield Credential(rel, line, "yaml", key, f"`{key}` holds a literal")
                elif isinstance(val, str) and _carries_config(doc, key, text):
                    # A config file or JSON blob carried in a value (rclone.conf: |, a
                    # credentials JSON): its own `name = value` lines are read too.
                    block = "\n" in text.strip()
                    for i, part in enumerate(text.splitlines()):
                        for name, value, _col in assignments(part):
                            if not is_test_path(rel) or looks_random(value):
                                where = line + i + 1 if block else line
                                detail = f"`{name}` holds a literal"
                                yield Credential(rel, where, "yaml", name, detail)
                                break
                    if len(text) >= 16:
                        yield from _scan_value(rel, line, text)
                elif isinstance(val, str) and len(text) >= 16:
                    yield from _scan_value(rel, line, text)


_CONFIG_KEY = re.compile(r".+\.(?:conf|cfg|ini|toml|json|ya?ml|env|properties|sh)$")


def _carries_config(doc: Any, key: Any, text: str) -> bool:
    """A multi-line value that is itself a config file (a ConfigMap or Secret entry, a key named
    like a file), not prose or an example response in an OpenAPI description."""
    if not any(ch.isspace() for ch in text.strip()):
        return False
    kind = doc.get("kind") if isinstance(doc, dict) else None
    return kind in {"Secret", "ConfigMap"} or _CONFIG_KEY.fullmatch(str(key)) is not None


def _is_certificate(key: str, value: str) -> bool:
    """``tls.crt`` / ``ca.crt`` hold public certificates, not secrets."""
    words = name_words(key)
    if words and words[-1] in {"crt", "cert", "pem", "ca"}:
        return True
    return value.startswith("LS0tLS1CRUdJTiBDRVJU")  # base64 of "-----BEGIN CERT"


def _json_docs(text: str) -> list[Any]:
    try:
        return [json.loads(text)]
    except ValueError:
        return []


# -- Dockerfile and dotenv ------------------------------------------------------------------
def _assignments(args: str) -> list[tuple[str, str]]:
    if "=" not in args.split(" ", 1)[0]:
        key, _, value = args.partition(" ")
        return [(key, value.strip().strip("\"'"))]
    out = []
    for part in args.split():
        key, sep, value = part.partition("=")
        if sep:
            out.append((key, value.strip("\"'")))
    return out


def _docker_credentials(repo: Repo, rel: str) -> Iterator[Credential]:
    for ins in dockerfile.parse(repo.text(rel) or ""):
        if ins.keyword in {"ENV", "ARG", "LABEL"}:
            for key, value in _assignments(ins.args):
                if _bound_literal(rel, key, value):
                    yield Credential(
                        rel,
                        ins.line,
                        "docker",
                        key,
                        f"{ins.keyword} `{key}` bakes a literal into the image",
                    )
        yield from _scan_value(rel, ins.line, ins.args)


def _dotenv_credentials(repo: Repo, rel: str) -> Iterator[Credential]:
    for number, raw in enumerate(repo.lines(rel), start=1):
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.removeprefix("export ").partition("=")
        value = value.split(" #", 1)[0].strip().strip("\"'")
        if _bound_literal(rel, key.strip(), value):
            yield Credential(rel, number, "dotenv", key.strip(), f"`{key.strip()}` holds a literal")
        else:
            yield from _scan_value(rel, number, value)


def _is_dotenv(rel: str) -> bool:
    base = posixpath.basename(rel)
    return base == ".env" or base.startswith(".env.") or base.endswith(".env")


def _text_credentials(repo: Repo, rel: str) -> Iterator[Credential]:
    """Any other text artifact: key formats on every line (a committed ``*.pem`` / ``id_rsa``
    is a private key block), and ``name = value`` credentials in scripts and config files."""
    base = posixpath.basename(rel)
    read_pairs = rel.endswith(ASSIGNMENT_SUFFIXES) or base in ASSIGNMENT_NAMES
    text = repo.text(rel)
    if text is None or "\0" in text:
        return
    if not read_pairs and format_kind(text) is None:
        return  # the common case, decided by one search per format over the whole file
    if rel.endswith(".ipynb"):
        yield from _notebook_credentials(repo, rel)
        return
    numbered = list(enumerate(text.splitlines(), start=1))
    for i, (number, line) in enumerate(numbered):
        kind = format_kind(line)
        if kind == "private key":
            # A key block has a base64 body; code that only spells the header is not a key.
            body = numbered[i + 1][1].strip() if i + 1 < len(numbered) else ""
            if re.fullmatch(r"[A-Za-z0-9+/=]{40,}", body) is None:
                continue
            if not rel.endswith(".ipynb"):
                yield Credential(rel, number, "format", kind, "private key file")
                return  # one finding per key file, not one per line
        if kind:
            yield Credential(rel, number, "format", kind, kind)
            continue
        if read_pairs and not is_test_path(rel):
            for name, _value, _col in assignments(line):
                yield Credential(rel, number, "text", name, f"`{name}` holds a literal")
                break


def _notebook_credentials(repo: Repo, rel: str) -> Iterator[Credential]:
    """Python cells through the AST detector (``api_key=openai_api_key`` is a variable, not a
    literal); markdown, shell and ``%%writefile`` cells as free text. Locations name the cell."""
    cells = notebook_cells(repo, rel)
    if not cells:
        repo.skipped.setdefault(rel, ("notebook not read", "not Jupyter's JSON layout"))
    for cell in cells:
        source = cell.python
        if source is not None:
            for cred in _python_source_credentials(rel, source):
                line = cell.lines[cred.line - 1][0] if cred.line <= len(cell.lines) else 1
                yield Credential(
                    rel, line, cred.kind, cred.name, f"{cred.detail} (cell {cell.number})"
                )
            continue
        for number, text in cell.lines:
            kind = format_kind(text)
            if kind:
                yield Credential(rel, number, "format", kind, f"{kind} (cell {cell.number})")
                continue
            for name, _value, _col in assignments(text):
                detail = f"`{name}` holds a literal (cell {cell.number})"
                yield Credential(rel, number, "text", name, detail)
                break


def find_credentials(repo: Repo) -> Iterator[Credential]:
    """Every literal credential in the repository."""
    for rel in repo.python:
        yield from python_credentials(repo, rel)
    for rel in repo.yaml:
        if posixpath.basename(rel) in LOCKFILES:
            continue
        yield from _yaml_credentials(rel, repo.yaml_docs(rel))
    dockerfiles = set(repo.dockerfiles)
    for rel in repo.dockerfiles:
        yield from _docker_credentials(repo, rel)
    for rel in repo.files:
        base = posixpath.basename(rel)
        if base in LOCKFILES:
            continue
        if _is_dotenv(rel) and not rel.endswith((".example", ".sample", ".template")):
            yield from _dotenv_credentials(repo, rel)
        elif not rel.endswith(_PARSED_SUFFIXES) and rel not in dockerfiles:
            yield from _text_credentials(repo, rel)
        elif rel.endswith(".json"):
            text = repo.text(rel)
            if text is not None and len(text) < 500_000:
                for cred in _yaml_credentials(rel, _json_docs(text)):
                    needle = f'"{cred.name}"'
                    line = next((i for i, t in enumerate(repo.lines(rel), 1) if needle in t), 1)
                    yield Credential(rel, line, cred.kind, cred.name, cred.detail)


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """One hit per literal credential."""
    for cred in find_credentials(repo):
        what = cred.detail if cred.kind != "format" else f"a literal {cred.detail} is committed"
        yield Hit(cred.path, cred.line, what)

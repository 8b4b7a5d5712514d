"""``--fix`` for R2: move literal credentials out of the files that hold them.

Kubernetes env entries become ``valueFrom.secretKeyRef`` and Python literals become
``os.environ[...]`` lookups. Edits are made on the original text (positions come from the YAML
composer and the Python AST), so formatting and comments elsewhere survive; files are replaced
atomically. Other credentials are reported, not rewritten: a human must choose their new home.
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import yaml

from architect_k.audit.engine import open_repo
from architect_k.audit.model import Fix
from architect_k.audit.rules.r02_credentials import Credential, find_credentials
from architect_k.credentials import name_words
from architect_k.fsutil import write_atomic


def env_var_name(name: str) -> str:
    """``dbPassword`` -> ``DB_PASSWORD``."""
    return "_".join(name_words(name)).upper()


def _dns_name(text: str) -> str:
    return "-".join(name_words(text)) or "app"


def _offsets(text: str) -> list[int]:
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    return starts


def _fix_python(text: str, creds: list[Credential]) -> tuple[str, list[tuple[int, str]]]:
    lines = text.splitlines(keepends=True)
    starts = _offsets(text)

    def absolute(lineno: int, col_bytes: int) -> int:
        line = lines[lineno - 1]
        return starts[lineno - 1] + len(line.encode("utf-8")[:col_bytes].decode("utf-8", "ignore"))

    edits = []
    notes = []
    for cred in creds:
        if cred.span is None:
            continue
        lineno, col, end_lineno, end_col = cred.span
        var = env_var_name(cred.name)
        edits.append((absolute(lineno, col), absolute(end_lineno, end_col), f'os.environ["{var}"]'))
        notes.append((lineno, f'literal `{cred.name}` -> os.environ["{var}"]'))
    for start, end, new in sorted(set(edits), reverse=True):
        text = text[:start] + new + text[end:]
    if edits:
        text = _ensure_import_os(text)
    return text, notes


def _ensure_import_os(text: str) -> str:
    tree = ast.parse(text)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(
            a.name == "os" and not a.asname for a in node.names
        ):
            return text
    insert_after = 0
    for node in tree.body:
        is_doc = (
            isinstance(node, ast.Expr)
            and isinstance(node.value, ast.Constant)
            and isinstance(node.value.value, str)
        )
        is_future = isinstance(node, ast.ImportFrom) and node.module == "__future__"
        if (is_doc and insert_after == 0) or is_future:
            insert_after = node.end_lineno or node.lineno
        else:
            break
    lines = text.splitlines(keepends=True)
    lines.insert(insert_after, "import os\n")
    return "".join(lines)


def _fix_yaml(text: str, creds: list[Credential]) -> tuple[str, list[tuple[int, str]]]:
    wanted = {(c.line, c.name) for c in creds if c.kind == "k8s-env"}
    if not wanted:
        return text, []
    edits: list[tuple[int, int, str]] = []
    notes: list[tuple[int, str]] = []
    for doc in yaml.compose_all(text, Loader=yaml.SafeLoader):
        if doc is None:
            continue
        owner = _doc_name(doc)
        stack: list[Any] = [doc]
        while stack:
            node = stack.pop()
            if isinstance(node, yaml.MappingNode):
                keys = {k.value: (k, v) for k, v in node.value if isinstance(k, yaml.ScalarNode)}
                if set(keys) == {"name", "value"}:
                    name_node = keys["name"][1]
                    key_node, value_node = keys["value"]
                    if (value_node.start_mark.line + 1, name_node.value) in wanted:
                        secret = f"{_dns_name(owner)}-secrets"
                        key = _dns_name(name_node.value)
                        edits.append(
                            (
                                key_node.start_mark.index,
                                value_node.end_mark.index,
                                f"valueFrom: {{secretKeyRef: {{name: {secret}, key: {key}}}}}",
                            )
                        )
                        notes.append(
                            (
                                value_node.start_mark.line + 1,
                                f"env {name_node.value} literal -> secretKeyRef "
                                f"{secret}/{key} (create that Secret out of band)",
                            )
                        )
                stack.extend(v for _, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                stack.extend(node.value)
    for start, end, new in sorted(edits, reverse=True):
        text = text[:start] + new + text[end:]
    return text, notes


def _doc_name(doc: Any) -> str:
    if isinstance(doc, yaml.MappingNode):
        for k, v in doc.value:
            if getattr(k, "value", None) == "metadata" and isinstance(v, yaml.MappingNode):
                for k2, v2 in v.value:
                    if getattr(k2, "value", None) == "name" and isinstance(v2, yaml.ScalarNode):
                        return str(v2.value)
    return "app"


def fix_credentials(path: str | Path) -> list[Fix]:
    """Redact what can be redacted under ``path``; returns the changes (and what was left)."""
    repo = open_repo(path)
    by_file: dict[str, list[Credential]] = {}
    for cred in find_credentials(repo):
        by_file.setdefault(cred.path, []).append(cred)
    fixes: list[Fix] = []
    for rel, creds in sorted(by_file.items()):
        text = repo.text(rel)
        if text is None:
            continue
        if rel.endswith(".py"):
            new, notes = _fix_python(text, creds)
        elif rel.endswith((".yaml", ".yml")):
            new, notes = _fix_yaml(text, creds)
        else:
            new, notes = text, []
        if new != text:
            write_atomic(repo.root / rel, new)
        fixed_lines = {line for line, _ in notes}
        fixes.extend(Fix(rel, line, note) for line, note in notes)
        for cred in creds:
            if cred.line not in fixed_lines:
                fixes.append(
                    Fix(
                        rel,
                        cred.line,
                        f"left as is: {cred.detail}; move it to a secret store by hand",
                    )
                )
    return fixes

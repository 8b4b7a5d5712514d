"""R2: no literal credentials in code, manifests, Dockerfiles or env files.

Two detectors run together: names that denote a credential bound to a literal (Python AST,
YAML/JSON keys, Kubernetes env entries, Dockerfile ENV/ARG, .env lines), and well-known token
formats anywhere (AWS keys, private keys, GitHub/Slack/Stripe/OpenAI/HF tokens, JWTs, URLs with
passwords). When detect-secrets is installed its format plugins add to the second detector.
"""

from __future__ import annotations

import ast
import json
import posixpath
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from architect_k.audit import dockerfile
from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo, walk_yaml
from architect_k.audit.yamlio import YDict, node_line

# Patterns below match *values* (string literals already extracted by a parser), never code.
TOKEN_FORMATS: dict[str, re.Pattern[str]] = {
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    "Slack token": re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
    "Stripe key": re.compile(r"\b[sr]k_live_[0-9A-Za-z]{20,}"),
    "OpenAI key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    "GitLab token": re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),
    "JSON web token": re.compile(
        r"\beyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}"
    ),
    "password in URL": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:([^/\s@]+)@"),
}
_CRED_WORDS = frozenset(
    {
        "password",
        "passwd",
        "pwd",
        "secret",
        "token",
        "apikey",
        "credential",
        "credentials",
        "passphrase",
    }
)
_CRED_PAIRS = frozenset(
    {
        ("api", "key"),
        ("access", "key"),
        ("private", "key"),
        ("secret", "key"),
        ("auth", "key"),
        ("signing", "key"),
        ("encryption", "key"),
        ("master", "key"),
        ("account", "key"),
    }
)
# A name ending in one of these refers to where a credential lives, not the credential.
_REF_SUFFIXES = frozenset(
    {
        "name",
        "file",
        "path",
        "ref",
        "env",
        "var",
        "url",
        "uri",
        "endpoint",
        "type",
        "length",
        "len",
        "ttl",
        "expiry",
        "expires",
        "header",
        "field",
        "prefix",
        "enabled",
        "required",
        "policy",
        "id",
        "dir",
        "key_ref",
        "manager",
        "arn",
        "source",
        "store",
        "provider",
        "mount",
        "format",
        "min",
        "max",
        "count",
        "hash",
        "regex",
        "pattern",
        "rotation",
    }
)
_QUALIFIERS = frozenset(
    {
        "seconds",
        "timeout",
        "size",
        "limit",
        "interval",
        "days",
        "hours",
        "minutes",
        "mode",
        "strategy",
        "algorithm",
        "version",
        "refresh",
        "lifetime",
        "age",
        "scope",
        "scopes",
        "audience",
        "issuer",
    }
)
_PLACEHOLDERS = frozenset(
    {
        "changeme",
        "change_me",
        "change-me",
        "redacted",
        "none",
        "null",
        "todo",
        "tbd",
        "placeholder",
        "dummy",
        "example",
        "your_password",
        "your-password",
        "yourpassword",
        "xxx",
        "<redacted>",
        "secret",
        "password",
        "token",
        "true",
        "false",
    }
)
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT = re.compile(r"[^a-z0-9]+")


def name_words(name: str) -> list[str]:
    """``dbPassword`` / ``DB_PASSWORD`` / ``db-password`` -> ``['db', 'password']``."""
    return [w for w in _SPLIT.split(_CAMEL.sub("_", name).lower()) if w]


def is_credential_name(name: str) -> bool:
    """True when an identifier names a credential itself (not a reference to or a property of
    one): ``db_password`` yes; ``password_file``, ``token_ttl_seconds``, ``secret_name`` no."""
    words = name_words(name)
    for i, word in enumerate(words):
        pair = (word, words[i + 1]) if i + 1 < len(words) else None
        if word in _CRED_WORDS:
            rest = words[i + 1 :]
        elif pair in _CRED_PAIRS:
            rest = words[i + 2 :]
        else:
            continue
        if not any(w in _REF_SUFFIXES or w in _QUALIFIERS for w in rest):
            return True
    return False


def is_literal_secret(value: str) -> bool:
    """True when a string bound to a credential name is a real literal, not a placeholder."""
    text = value.strip()
    if len(text) < 4 or any(ch.isspace() for ch in text):
        return False
    low = text.lower()
    if low in _PLACEHOLDERS or len(set(low)) <= 1:
        return False
    if text.startswith(
        (
            "$",
            "{{",
            "<",
            "%(",
            "/",
            "./",
            "~",
            "vault:",
            "arn:",
            "ref+",
            "secretsmanager:",
            "projects/",
        )
    ):
        return False
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", text) and "_" in text:
        return False  # the *name* of an environment variable
    return not (text.startswith(("http://", "https://")) and "@" not in text)


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
    found = []
    for label, pattern in TOKEN_FORMATS.items():
        match = pattern.search(value)
        if match is None:
            continue
        if label == "password in URL" and not is_literal_secret(match.group(1)):
            continue
        if "EXAMPLE" in value:
            continue
        found.append(label)
    return found


@lru_cache(maxsize=1)
def _detect_secrets_plugins() -> tuple[Any, ...]:
    """Format plugins from detect-secrets when installed (keyword/entropy plugins excluded)."""
    try:
        from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    except ImportError:
        return ()
    wanted = {
        "AWSKeyDetector",
        "AzureStorageKeyDetector",
        "DiscordBotTokenDetector",
        "GitHubTokenDetector",
        "GitLabTokenDetector",
        "JwtTokenDetector",
        "MailchimpDetector",
        "NpmDetector",
        "OpenAIDetector",
        "PrivateKeyDetector",
        "PypiTokenDetector",
        "SendGridDetector",
        "SlackDetector",
        "SquareOAuthDetector",
        "StripeDetector",
        "TelegramBotTokenDetector",
        "TwilioKeyDetector",
    }
    plugins = []
    try:
        mapping: dict[str, Any] = dict(get_mapping_from_secret_type_to_class())
        for cls in mapping.values():
            if cls.__name__ in wanted:
                plugins.append(cls())
    except Exception:  # a broken optional extra must not break the audit: fall back
        return ()
    return tuple(plugins)


def _plugin_hits(path: str, value: str, line: int) -> list[str]:
    labels = []
    for plugin in _detect_secrets_plugins():
        try:
            found = plugin.analyze_line(filename=path, line=value, line_number=line)
        except Exception:  # plugin internals vary between versions; ours still run
            continue
        for secret in found:
            if "EXAMPLE" not in str(getattr(secret, "secret_value", "")):
                labels.append(str(getattr(secret, "type", plugin.__class__.__name__)))
    return labels


def _scan_value(path: str, line: int, value: str) -> Iterator[Credential]:
    labels = _format_hits(value)
    # detect-secrets plugins are slow per call; every token format they know has no whitespace.
    if not labels and len(value) <= 4096 and not any(ch.isspace() for ch in value.strip()):
        labels = _plugin_hits(path, value, line)
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


def python_credentials(repo: Repo, rel: str) -> Iterator[Credential]:
    """Credential literals in a Python module, found through its AST."""
    mod = repo.module(rel)
    if mod is None:
        return
    kinds = (
        ast.Assign,
        ast.AnnAssign,
        ast.Call,
        ast.Dict,
        ast.FunctionDef,
        ast.AsyncFunctionDef,
        ast.Compare,
        ast.Constant,
    )
    for node in mod.nodes(*kinds):
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
            if name and value is not None and is_credential_name(name) and is_literal_secret(value):
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
            yield from _scan_value(rel, node.lineno, node.value)


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
                if is_credential_name(env_name) and is_literal_secret(value):
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
                if (
                    isinstance(key, str)
                    and isinstance(val, str)
                    and is_credential_name(key)
                    and is_literal_secret(text)
                ):
                    yield Credential(rel, line, "yaml", key, f"`{key}` holds a literal")
                elif isinstance(val, str) and len(text) >= 16:
                    yield from _scan_value(rel, line, text)


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
                if is_credential_name(key) and is_literal_secret(value):
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
        if is_credential_name(key.strip()) and is_literal_secret(value):
            yield Credential(rel, number, "dotenv", key.strip(), f"`{key.strip()}` holds a literal")
        else:
            yield from _scan_value(rel, number, value)


def _is_dotenv(rel: str) -> bool:
    base = posixpath.basename(rel)
    return base == ".env" or base.startswith(".env.") or base.endswith(".env")


def find_credentials(repo: Repo) -> Iterator[Credential]:
    """Every literal credential in the repository."""
    for rel in repo.python:
        yield from python_credentials(repo, rel)
    for rel in repo.yaml:
        yield from _yaml_credentials(rel, repo.yaml_docs(rel))
    for rel in repo.dockerfiles:
        yield from _docker_credentials(repo, rel)
    for rel in repo.files:
        if _is_dotenv(rel) and not rel.endswith((".example", ".sample", ".template")):
            yield from _dotenv_credentials(repo, rel)
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

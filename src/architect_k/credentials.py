"""Recognise credentials (R2: no raw credential in any artifact): the predicates both sides use.

The interrogation refuses an answer that holds one before anything is rendered
(:func:`credential_kind`); the audit's R2 check (``audit/rules/r02_credentials.py``) composes its
own detector for each kind of artifact from the same predicates. Their verdicts differ where the
input does: R2 adds what only a file shows (test vectors, Secret object names, certificates,
lockfiles), and the high-entropy fallback is the interrogation's alone: in a short answer a
random-looking token is a key, while files hold digests and checksums that look the same.
Three questions make it up:

* :func:`format_kind` -- does a value have the shape of a known key or token (AWS, PEM private
  key, GitHub, Slack, Stripe, OpenAI, Google, Hugging Face, GitLab, JWT, a URL with a password)?
* :func:`is_credential_name` -- does an identifier name a credential itself (``db_password``)
  rather than a reference to one or a property of one (``password_file``, ``secret_name``,
  ``token_ttl``, ``unk_token``)?
* :func:`is_literal_secret` -- is the value bound to such a name a real literal, or a
  placeholder, a reference, a type name, a permission or a well-known dummy?

:func:`credential_kind` combines them for free text (``name = value`` pairs and formats), with a
high-entropy fallback for short free-text answers. Values are kept narrow enough that ordinary
words ("token_count", "secret-santa") pass.
"""

from __future__ import annotations

import math
import re
from collections import Counter

FORMATS: dict[str, re.Pattern[str]] = {
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "private key": re.compile(r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----"),
    "GitHub token": re.compile(r"\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{40,})"),
    "Slack token": re.compile(r"\bxox[abposr]-[0-9A-Za-z-]{10,}"),
    "Stripe key": re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}"),
    "OpenAI key": re.compile(r"\bsk-(?:proj-)?[A-Za-z0-9_-]{32,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b"),
    "Hugging Face token": re.compile(r"\bhf_[A-Za-z0-9]{30,}\b"),
    "GitLab token": re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"),
    "JSON web token": re.compile(
        r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"
    ),
    "password in URL": re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:([^/\s@'\"]+)@"),
}
# One pass over a value decides the common case (no format at all) before each is tried.
_ANY_FORMAT = re.compile("|".join(f"(?:{p.pattern})" for p in FORMATS.values()))
# Documented example values (AWS's AKIAIOSFODNN7EXAMPLE, wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY).
_DOCUMENTED_EXAMPLE = re.compile(r"EXAMPLE")

_CRED_WORDS = frozenset(
    {"password", "passwd", "pwd", "secret", "token", "apikey", "credential", "credentials"}
    | {"passphrase"}
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
        "name", "file", "path", "ref", "env", "var", "url", "uri", "endpoint", "type", "length",
        "len", "ttl", "expiry", "expires", "header", "field", "prefix", "enabled", "required",
        "policy", "id", "dir", "key_ref", "manager", "arn", "source", "store", "provider",
        "mount", "format", "min", "max", "count", "hash", "regex", "pattern", "rotation", "set",
        "str", "crt", "cert", "certificate", "ca", "pub", "public",
    }
)  # fmt: skip
_QUALIFIERS = frozenset(
    {
        "seconds", "timeout", "size", "limit", "interval", "days", "hours", "minutes", "mode",
        "strategy", "algorithm", "version", "refresh", "lifetime", "age", "scope", "scopes",
        "audience", "issuer", "accuracy", "usage", "logprob", "logprobs", "ids", "budget",
        "stats", "counts", "per",
    }
)  # fmt: skip
# Words before "token" that make it a tokenizer's special token or an OpenAPI field.
_NOT_A_CREDENTIAL_BEFORE = frozenset(
    {"unk", "pad", "bos", "eos", "sep", "cls", "mask", "special", "start", "end", "automount"}
    | {"mount", "id", "max", "num", "next", "page", "continue", "csrf", "xsrf"}
)
_PLACEHOLDERS = frozenset(
    {
        "changeme", "change_me", "change-me", "redacted", "none", "null", "todo", "tbd",
        "placeholder", "dummy", "example", "your_password", "your-password", "yourpassword",
        "xxx", "<redacted>", "secret", "password", "token", "true", "false", "pass", "passwd",
        "user", "username",
        # type names of generated API models ('password_set': 'bool')
        "bool", "str", "int", "float", "string", "boolean", "integer", "object", "bytes",
        # GitHub Actions permission levels (permissions: id-token: write)
        "read", "write",
        # well-known dummies
        "abc123", "123abc", "1234", "12345", "123456", "foo", "bar", "foobar", "test",
        "testing", "some_token", "some-token", "fake", "mysecret", "my-secret", "s3cr3t",
    }
)  # fmt: skip
_REFERENCE_PREFIXES = (
    "$", "{{", "<", "%(", "/", "./", "~", "vault:", "arn:", "ref+", "secretsmanager:",
    "projects/", "[", "ko://",
)  # fmt: skip
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_SPLIT = re.compile(r"[^a-z0-9]+")
_K8S_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_FILE_NAME = re.compile(r"[\w.-]+\.(?:crt|key|pem|json|ya?ml|txt|p12|pfx|cert|cfg|ini|toml)")
_TYPE_NAME = re.compile(r"(?:list|dict|List|Dict|Optional)\[.*\]|V\d\w+|\w+\(.*\)")
_ASSIGNMENT = re.compile(
    r"(?P<name>[A-Za-z_][A-Za-z0-9_.-]*)[\"']?\s*(?::|=|:=)\s*(?P<q>[\"']?)"
    r"(?P<value>[A-Za-z0-9_+/=.@!%*&^~-]+)(?![\w(\[{.])"  # not a call or an attribute path
)
_HIGH_ENTROPY_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def name_words(name: str) -> list[str]:
    """``dbPassword`` / ``DB_PASSWORD`` / ``s3AccessKeyIDName`` -> lowercase words."""
    return [w for w in _SPLIT.split(_CAMEL.sub("_", name).lower()) if w]


def is_credential_name(name: str) -> bool:
    """True when an identifier names a credential itself (not a reference to or a property of
    one): ``db_password`` yes; ``password_file``, ``token_ttl_seconds``, ``secret_name``,
    ``unk_token``, ``s3AccessKeyIDName`` no."""
    words = name_words(name)
    for i, word in enumerate(words):
        pair = (word, words[i + 1]) if i + 1 < len(words) else None
        if word in _CRED_WORDS:
            rest = words[i + 1 :]
            if word == "token" and i > 0 and words[i - 1] in _NOT_A_CREDENTIAL_BEFORE:
                continue
        elif pair in _CRED_PAIRS:
            rest = words[i + 2 :]
        else:
            continue
        if not any(w in _REF_SUFFIXES or w in _QUALIFIERS for w in rest):
            return True
    return False


def names_a_secret_object(name: str, value: str) -> bool:
    """Not a value but a name: a Kubernetes Secret's name (``secret: my-tls-secret``,
    ``serverValidationSecret: ca-bundle``: a lowercase DNS label, Helm-values style), or the
    field's own spelling in a generated model's attribute map
    (``'automount_service_account_token': 'automountServiceAccountToken'``)."""
    words = name_words(name)
    if words and name_words(value) == words:
        return True
    return bool(words) and words[-1] == "secret" and _K8S_NAME.fullmatch(value) is not None


def is_literal_secret(value: str) -> bool:
    """True when a string bound to a credential name is a real literal, not a placeholder."""
    text = value.strip()
    if len(text) < 4 or any(ch.isspace() for ch in text):
        return False
    low = text.lower()
    if low in _PLACEHOLDERS or len(set(low)) <= 1 or _DOCUMENTED_EXAMPLE.search(text):
        return False
    if text.startswith(_REFERENCE_PREFIXES) or _TYPE_NAME.fullmatch(text):
        return False
    if _FILE_NAME.fullmatch(text):
        return False  # names the file the credential lives in (key.json, tls.crt)
    if re.fullmatch(r"[A-Z][A-Z0-9_]*", text) and "_" in text:
        return False  # the *name* of an environment variable
    return not (text.startswith(("http://", "https://")) and "@" not in text)


def looks_random(value: str) -> bool:
    """Long and mixed like a generated key (``d-FL95Q19q7MQmHD0TyFpd7h``), unlike a test dummy
    (``testing``, ``token-abc123``, ``cGFzc3dvcmQ=``)."""
    classes = sum(any(test(c) for c in value) for test in (str.islower, str.isupper, str.isdigit))
    return len(value) >= 16 and classes == 3 and _entropy(value) > 3.5


def format_kind(value: str) -> str | None:
    """The known key/token format ``value`` contains, or None (documented examples excepted)."""
    if _ANY_FORMAT.search(value) is None or _DOCUMENTED_EXAMPLE.search(value):
        return None
    for label, pattern in FORMATS.items():
        match = pattern.search(value)
        if match is None:
            continue
        if label == "password in URL" and not is_literal_secret(match.group(1)):
            continue
        return label
    return None


def assignments(line: str) -> list[tuple[str, str, int]]:
    """``(name, value, column)`` of each credential-named literal in a line of free text
    (shell, TOML, INI, Terraform, Makefile, notebook cells)."""
    out = []
    for m in _ASSIGNMENT.finditer(line):
        name, value = m.group("name"), m.group("value")
        if (
            is_credential_name(name)
            and is_literal_secret(value)
            and not names_a_secret_object(name, value)
        ):
            out.append((name, value, m.start("value")))
    return out


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def credential_kind(text: str) -> str | None:
    """Name the kind of credential free ``text`` contains, or None when it looks like none."""
    kind = format_kind(text)
    if kind:
        return kind
    if assignments(text):
        return "credential assignment"
    for token in _HIGH_ENTROPY_TOKEN.findall(text):
        # A long random-looking token in a short answer is a key, not a word.
        if looks_random(token) and _entropy(token) > 4.0:
            return "high-entropy token"
    return None

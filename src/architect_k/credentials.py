"""Recognise strings that look like credentials (R2: no raw credential in any artifact).

Shared by the interrogation, which refuses such answers before anything is rendered, and by
the audit's R2 check. Patterns are kept narrow enough that ordinary words ("token_count",
"secret-santa") pass: a credential is a value with the shape of a key, not a word about keys.
"""

from __future__ import annotations

import math
import re
from collections import Counter

_PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("private key block", re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")),
    ("AWS access key id", re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("GitHub token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b")),
    ("Slack token", re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}\b")),
    ("Google API key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}\b")),
    ("Stripe key", re.compile(r"\b[sr]k_(?:live|test)_[0-9A-Za-z]{16,}\b")),
    ("JSON Web Token", re.compile(r"\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+")),
    ("password in a URL", re.compile(r"[a-z][a-z0-9+.-]*://[^/\s:@]+:[^/\s@]+@", re.IGNORECASE)),
    (
        "credential assignment",
        re.compile(
            r"(?:api[_-]?key|apikey|password|passwd|pwd|secret|token|access[_-]?key)"
            r"\s*[:=]\s*['\"]?[^\s'\"]{6,}",
            re.IGNORECASE,
        ),
    ),
)
_HIGH_ENTROPY_TOKEN = re.compile(r"[A-Za-z0-9+/=_-]{32,}")


def _entropy(text: str) -> float:
    counts = Counter(text)
    return -sum(n / len(text) * math.log2(n / len(text)) for n in counts.values())


def credential_kind(text: str) -> str | None:
    """Name the kind of credential `text` contains, or None when it looks like none."""
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    for token in _HIGH_ENTROPY_TOKEN.findall(text):
        # Long random-looking tokens with mixed character classes are keys, not words.
        classes = sum(
            any(test(c) for c in token) for test in (str.islower, str.isupper, str.isdigit)
        )
        if classes == 3 and _entropy(token) > 4.0:
            return "high-entropy token"
    return None

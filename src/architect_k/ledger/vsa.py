"""Martensite phase encoding: binary spatter-code hypervectors for scar contexts.

What the encoding is for is explained in docs/architect-k.md §3.4; this is how it is computed.

A context such as ``pytorch→DDP→gradient_accumulation_steps=1→batch_size=512`` becomes one
bipolar hypervector of :data:`DIMENSION` components, packed into a Python ``int`` (bit ``b`` at
position ``i`` stands for the component ``(-1) ** b``, so XOR is exact bipolar multiplication).

- Every token maps to a pseudo-random vector expanded with SHAKE-256 from the SHA-256 of the
  token, so the same token gives the same vector in every process and on every machine.
- A ``key=value`` token contributes the key and the whole pair, so ``steps=4`` still shares
  something with ``steps=1``.
- Order is encoded by permutation: each adjacent pair of tokens contributes
  ``rotate(first, 1) XOR second``. Rotating the earlier token by its relative position keeps
  ``a→b`` distinct from ``b→a`` while the same step still matches anywhere in a longer chain,
  which absolute positions would not allow (FIPI compares a whole project against short scars).
- The parts are bundled by bitwise majority vote; ties (even counts) are broken by a vector
  derived from the context itself, so two unrelated contexts never share a tie-break pattern.

Similarity is the cosine of the bipolar vectors, ``1 - 2 * hamming / DIMENSION``.
"""

from __future__ import annotations

import hashlib
import itertools
import re
from collections.abc import Sequence
from functools import lru_cache

DIMENSION = 10_000
_MASK = (1 << DIMENSION) - 1
_NBYTES = DIMENSION // 8
# Versioned domain separation: changing the encoding must change every digest, never collide.
_DOMAIN = b"architect-k/vsa/v1\x00"
_TIE_DOMAIN = "\x00tie\x00"
_ARROW = re.compile(r"→|->")
_SPACE = re.compile(r"\s+")


def tokenize(context: str) -> list[str]:
    """Split a context on ``→`` (or ``->``) into normalised tokens.

    Tokens are lower-cased and inner whitespace becomes ``_`` so that ``DDP`` in a scar and
    ``ddp`` in a copier answer are the same symbol. Empty tokens are dropped.
    """
    tokens: list[str] = []
    for raw in _ARROW.split(context):
        token = _SPACE.sub("_", raw.strip()).lower()
        if token:
            tokens.append(token)
    return tokens


def normalize_context(context: str) -> str:
    """Return the stored form of a context: its tokens joined by ``→``, original case kept."""
    parts = [_SPACE.sub("_", raw.strip()) for raw in _ARROW.split(context)]
    return "→".join(part for part in parts if part)


@lru_cache(maxsize=8192)
def token_vector(token: str) -> int:
    """The deterministic random hypervector of one token (seeded from its SHA-256)."""
    seed = hashlib.sha256(_DOMAIN + token.encode("utf-8")).digest()
    return int.from_bytes(hashlib.shake_256(seed).digest(_NBYTES), "little")


def permute(vector: int, shift: int) -> int:
    """Cyclically rotate a hypervector left by ``shift`` positions."""
    shift %= DIMENSION
    if shift == 0:
        return vector
    return ((vector << shift) | (vector >> (DIMENSION - shift))) & _MASK


def bundle(vectors: Sequence[int], tie_break: int) -> int:
    """Bitwise majority vote over ``vectors``; where exactly half agree, take ``tie_break``.

    The per-bit counts are kept bit-sliced (one big int per binary digit of the count), so the
    vote costs O(n log n) big-int operations rather than a Python loop over every component.
    """
    if not vectors:
        raise ValueError("cannot bundle zero hypervectors")
    planes: list[int] = []
    for vector in vectors:
        carry = vector
        for index, plane in enumerate(planes):
            if not carry:
                break
            planes[index], carry = plane ^ carry, plane & carry
        if carry:
            planes.append(carry)
    half = len(vectors) // 2
    greater, equal = 0, _MASK
    for index in reversed(range(max(len(planes), half.bit_length()))):
        plane = planes[index] if index < len(planes) else 0
        if (half >> index) & 1:
            equal &= plane
        else:
            greater |= equal & plane
            equal &= ~plane
    if len(vectors) % 2:
        return greater
    return greater | (equal & tie_break)


def components(tokens: Sequence[str]) -> list[int]:
    """The hypervectors bundled for a token sequence: tokens, keys of pairs, ordered steps."""
    parts: list[int] = []
    heads: list[str] = []
    for token in tokens:
        key, sep, value = token.partition("=")
        if sep and key and value:
            parts.append(token_vector(key))
            heads.append(key)
        else:
            heads.append(token)
        parts.append(token_vector(token))
    for first, second in itertools.pairwise(heads):
        parts.append(permute(token_vector(first), 1) ^ token_vector(second))
    return parts


@lru_cache(maxsize=4096)
def encode(context: str) -> int:
    """Encode a context string as one packed bipolar hypervector.

    Raises ``ValueError`` when the context holds no tokens.
    """
    tokens = tokenize(context)
    if not tokens:
        raise ValueError(f"context {context!r} holds no tokens")
    tie_break = token_vector(_TIE_DOMAIN + "→".join(tokens))
    return bundle(components(tokens), tie_break)


def similarity(first: int, second: int) -> float:
    """Cosine similarity of two packed bipolar hypervectors, in [-1, 1]."""
    return 1.0 - 2.0 * (first ^ second).bit_count() / DIMENSION


def to_bytes(vector: int) -> bytes:
    """The packed little-endian byte form of a hypervector (what the phase digest hashes)."""
    return vector.to_bytes(_NBYTES, "little")


def phase_encoding(context: str) -> str:
    """The ``martensite_phase_encoding`` of a context: ``hypervec_`` + 16 hex of its digest."""
    return "hypervec_" + hashlib.sha256(to_bytes(encode(context))).hexdigest()[:16]

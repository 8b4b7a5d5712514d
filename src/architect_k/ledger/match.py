"""Ranking scars by how closely their context resembles a given context."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from architect_k.ledger.chain import Scar
from architect_k.ledger.vsa import encode, similarity


@dataclass(frozen=True)
class Match:
    """A scar and the cosine similarity of its context hypervector to the query's."""

    scar: Scar
    similarity: float

    def as_json(self) -> dict[str, object]:
        """The ``ledger match --format json`` record of this match."""
        return {
            "scar_id": self.scar.scar_id,
            "similarity": round(self.similarity, 4),
            "deflection_radius": self.scar.fipi_deflection_radius,
            "rule": self.scar.linked_rule,
        }


def rank(context: str, scars: Iterable[Scar]) -> list[Match]:
    """Every scar scored against ``context``, best first (ties by scar id, for stable output).

    Raises ``ValueError`` when the context holds no tokens.
    """
    query = encode(context)
    matches = [Match(scar, similarity(query, encode(scar.context_vector))) for scar in scars]
    return sorted(matches, key=lambda match: (-match.similarity, match.scar.scar_id))

"""The generated PSI monitor agrees with Evidently's `psi` stattest when given the same bins.

Evidently cannot share this virtualenv (it needs pandas < 3), so its values are frozen in
tests/fixtures/psi/ by bench/psi/freeze_evidently.py from the committed inputs beside them.
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
import pytest

FIXTURES = Path(__file__).parent / "fixtures" / "psi"
#: Evidently's floor for an empty bin when every non-empty share exceeds it.
EVIDENTLY_FLOOR = 1e-4


@pytest.fixture(scope="module")
def monitoring(rendered_examples: dict[str, Path]) -> Iterator[dict[str, ModuleType]]:
    """The rendered churn example's schema, reference profile and PSI arithmetic modules."""
    source = str(rendered_examples["churn"] / "src")
    sys.path.insert(0, source)
    try:
        yield {
            name: importlib.import_module(f"churn_service.{name}")
            for name in ("schema", "reference_profile", "monitoring.drift")
        }
    finally:
        sys.path.remove(source)
        for module in [m for m in sys.modules if m.split(".")[0] == "churn_service"]:
            del sys.modules[module]


@pytest.fixture(scope="module")
def frozen() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((FIXTURES / "evidently_psi.json").read_text())
    return data


def shares(counts: np.ndarray) -> np.ndarray:
    total = counts.sum()
    result: np.ndarray = counts / total
    return result


def test_the_frozen_edges_are_evidentlys_sturges_bins(frozen: dict[str, Any]) -> None:
    reference = pd.read_csv(FIXTURES / "reference.csv")
    current = pd.read_csv(FIXTURES / "current.csv")
    for name, column in frozen["columns"].items():
        if column["kind"] == "numerical":
            combined = pd.concat([reference[name], current[name]]).to_numpy()
            edges = np.histogram_bin_edges(combined, bins="sturges")
            np.testing.assert_array_equal(edges, column["edges"])
            # The floor is 1e-4 only while every non-empty share is above it.
            assert 1 / max(len(reference), len(current)) > EVIDENTLY_FLOOR


def test_our_psi_matches_evidentlys_within_1e_6(
    monitoring: dict[str, ModuleType], frozen: dict[str, Any]
) -> None:
    schema, profile, drift = (
        monitoring[name] for name in ("schema", "reference_profile", "monitoring.drift")
    )
    reference = pd.read_csv(FIXTURES / "reference.csv")
    current = pd.read_csv(FIXTURES / "current.csv")
    for name, column in frozen["columns"].items():
        if column["kind"] == "numerical":
            # Evidently's outer edges enclose every value, so our open outer bins count the same.
            feature = schema.Column(name, "float")
            edges = column["edges"][1:-1]
            slots = len(edges) + 2
            spec = profile.QuantileBins(
                dtype="float", edges=edges, counts=[0] * slots, frequencies=[0.0] * slots
            )
        else:
            feature = schema.Column(name, "category", categories=("basic", "pro", "team"))
            spec = profile.CategoricalBins(
                dtype="category",
                categories=["basic", "pro", "team"],
                counts=[0] * 5,
                frequencies=[0.0] * 5,
            )
        ref = spec.count(feature, reference[name])
        cur = spec.count(feature, current[name])
        ours = drift.psi(shares(ref), shares(cur), epsilon=EVIDENTLY_FLOOR)
        assert ours == pytest.approx(column["psi"], abs=1e-6), name
    # The inputs exercise what matters: empty bins, an unseen category, and no drift at all.
    assert frozen["columns"]["gapped"]["psi"] > 1
    assert frozen["columns"]["steady"]["psi"] < 0.1

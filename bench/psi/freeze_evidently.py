"""Freeze Evidently's `psi` stattest values for tests/test_psi_evidently.py.

Evidently 0.7.23 does not import with pandas 3, so it cannot live in the test virtualenv. This
script writes small, committed inputs and the values Evidently computes on them; the test then
recomputes ours with the same bins and compares. Run it from a scratch virtualenv:

    python3 -m venv /tmp/psi-venv
    /tmp/psi-venv/bin/pip install evidently==0.7.23 'pandas<3' numpy pyarrow
    /tmp/psi-venv/bin/python bench/psi/freeze_evidently.py

Evidently's binning, which the test mirrors: a numeric column with more than 20 distinct
reference values gets equal-width Sturges edges over reference + current together
(`np.histogram_bin_edges(..., bins="sturges")`, n_bins is ignored); other columns get one bin
per value seen on either side. An empty bin's share is floored at 1e-4 (the inputs keep every
non-empty share above 1e-4, where that floor applies).
"""

from __future__ import annotations

import json
from pathlib import Path

import evidently
import numpy as np
import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift

FIXTURES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "psi"
NUMERIC = ["shifted", "gapped", "steady"]
CATEGORICAL = ["plan"]


def inputs() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reference and current samples: a mean shift, empty bins, no drift, an unseen category."""
    rng = np.random.default_rng(20250301)
    reference = pd.DataFrame(
        {
            "shifted": rng.normal(0.0, 1.0, 2_000),
            "gapped": rng.normal(0.0, 1.0, 2_000),
            "steady": rng.uniform(0.0, 10.0, 2_000),
            "plan": rng.choice(["basic", "pro", "team"], 2_000, p=[0.5, 0.3, 0.2]),
        }
    )
    # Two far-apart modes leave the middle Sturges bins empty on the current side.
    gapped = np.concatenate([rng.normal(-4.0, 0.3, 750), rng.normal(4.0, 0.3, 750)])
    current = pd.DataFrame(
        {
            "shifted": rng.normal(0.4, 1.3, 1_500),
            "gapped": rng.permutation(gapped),
            "steady": rng.uniform(0.0, 10.0, 1_500),
            "plan": rng.choice(
                ["basic", "pro", "team", "enterprise"], 1_500, p=[0.4, 0.3, 0.2, 0.1]
            ),
        }
    )
    # Six decimals: the CSV round trip is then exact, so both sides read identical numbers.
    return reference.round(6), current.round(6)


def main() -> None:
    reference, current = inputs()
    FIXTURES.mkdir(parents=True, exist_ok=True)
    reference.to_csv(FIXTURES / "reference.csv", index=False)
    current.to_csv(FIXTURES / "current.csv", index=False)
    reference = pd.read_csv(FIXTURES / "reference.csv")
    current = pd.read_csv(FIXTURES / "current.csv")

    definition = DataDefinition(numerical_columns=NUMERIC, categorical_columns=CATEGORICAL)
    report = Report([ValueDrift(column=name, method="psi") for name in NUMERIC + CATEGORICAL])
    snapshot = report.run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    values = {metric["config"]["column"]: metric["value"] for metric in snapshot.dict()["metrics"]}
    frozen = {
        "evidently": evidently.__version__,
        "columns": {
            name: {
                "kind": "numerical",
                "psi": values[name],
                "edges": np.histogram_bin_edges(
                    pd.concat([reference[name], current[name]]).to_numpy(), bins="sturges"
                ).tolist(),
            }
            for name in NUMERIC
        }
        | {name: {"kind": "categorical", "psi": values[name]} for name in CATEGORICAL},
    }
    (FIXTURES / "evidently_psi.json").write_text(json.dumps(frozen, indent=2) + "\n")
    print(json.dumps({name: column["psi"] for name, column in frozen["columns"].items()}))


if __name__ == "__main__":
    main()

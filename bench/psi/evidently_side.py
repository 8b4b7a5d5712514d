"""Evidently's half of bench/psi/run.py; runs in a virtualenv with evidently==0.7.23, pandas<3.

    python evidently_side.py REFERENCE.parquet CURRENT.parquet NUMERIC,... CATEGORICAL,...

Prints one JSON object: the seconds `Report.run` took and the PSI per column.
"""

from __future__ import annotations

import json
import sys
import time

import pandas as pd
from evidently import DataDefinition, Dataset, Report
from evidently.metrics import ValueDrift


def main() -> None:
    reference = pd.read_parquet(sys.argv[1])
    current = pd.read_parquet(sys.argv[2])
    numeric, categorical = sys.argv[3].split(","), sys.argv[4].split(",")
    definition = DataDefinition(numerical_columns=numeric, categorical_columns=categorical)
    started = time.perf_counter()
    report = Report([ValueDrift(column=name, method="psi") for name in numeric + categorical])
    snapshot = report.run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    seconds = time.perf_counter() - started
    values = {m["config"]["column"]: m["value"] for m in snapshot.dict()["metrics"]}
    print(json.dumps({"seconds": seconds, "psi": values}))


if __name__ == "__main__":
    main()

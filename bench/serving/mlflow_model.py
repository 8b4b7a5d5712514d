"""The rendered service's model as an MLflow pyfunc, so `mlflow models serve` can host it.

Saved by bench/serving/run.py with this file in `code_paths`; it wraps the same exported
bundle our server loads, so both servers run the same network on the same rows.
"""

from __future__ import annotations

import importlib
from typing import Any

import mlflow.pyfunc
import pandas as pd


class BundleModel(mlflow.pyfunc.PythonModel):  # type: ignore[misc]
    """Loads `<package>.predictor.Predictor` from the `model_dir` artifact."""

    def __init__(self, package: str) -> None:
        self.package = package
        self.predictor: Any = None

    def load_context(self, context: Any) -> None:
        from pathlib import Path

        predictor = importlib.import_module(f"{self.package}.predictor")
        self.predictor = predictor.Predictor.load(Path(context.artifacts["model_dir"]))

    def predict(self, context: Any, model_input: pd.DataFrame, params: Any = None) -> Any:
        records = model_input.to_dict(orient="records")
        return self.predictor.predict_records(records)

"""Training throughput of the generated pipeline, and what its compliance hooks cost per epoch.

    .venv/bin/python bench/training/run.py [--rows 1000000] [--epochs 2] [--rounds 2]

Renders examples/churn.yml, writes `--rows` sample rows, and in one process:

1. runs the generated pipeline end to end (`<pkg>.training.pipeline.run`: validate, split, fit the
   preprocessing, train, evaluate, register in MLflow on sqlite, export) and reports its
   training throughput (rows/s over the epochs' batches) and its end-to-end rows/s;
2. times one epoch of the generated training loop with every compliance hook on (seed block
   with deterministic algorithms, R9 assertion, R7 memory logging, MLflow metrics per epoch)
   against a bare PyTorch loop over the same model, tensors, batch size, optimizer and per-epoch
   validation pass. Both run `--rounds` times, interleaved; the fastest epoch of each is
   compared, because a shared machine only ever slows a run down, so the minimum is the least
   disturbed measurement.

Prints one JSON line; `hook_overhead_ratio` is the figure with the 1.10 target.
"""

from __future__ import annotations

import argparse
import importlib
import itertools
import json
import os
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from types import ModuleType
from typing import Any

import torch
from torch import nn

from architect_k.render import render_example

REPO_ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = REPO_ROOT / "examples" / "churn.yml"
PACKAGE = "churn_service"


def _generated(root: Path) -> dict[str, ModuleType]:
    render_example(EXAMPLE, root)
    sys.path.insert(0, str(root / "src"))
    return {
        name: importlib.import_module(f"{PACKAGE}.{name}")
        for name in (
            "training.compliance",
            "training.config",
            "training.distributed",
            "training.loop",
            "training.pipeline",
            "sample_data",
            "model",
            "tracking",
        )
    }


def _bare_epochs(
    model: nn.Module,
    features: torch.Tensor,
    target: torch.Tensor,
    valid: tuple[torch.Tensor, torch.Tensor],
    config: Any,
    loss_target: Any,
    loss_fn: nn.Module,
) -> list[float]:
    """The loop a notebook would write: shuffle, slice, step; a validation pass per epoch."""
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    times = []
    for _ in range(config.epochs):
        started = time.perf_counter()
        model.train()
        order = torch.randperm(len(features))
        for start in range(0, len(features), config.batch_size):
            index = order[start : start + config.batch_size]
            optimizer.zero_grad()
            loss_fn(model(features[index]), loss_target(target[index])).backward()
            optimizer.step()
        model.eval()
        with torch.no_grad():
            loss_fn(model(valid[0]), loss_target(valid[1]))
        times.append(time.perf_counter() - started)
    return times


class _EpochClock:
    """The generated loop's per-epoch callback (MLflow logging), timing each epoch.

    Each epoch runs from the end of the previous one: the first carries the set-up hooks (R9
    assertion, R7 summary), every one its validation pass and its MLflow logging.
    """

    def __init__(self, tracker: Any) -> None:
        self.tracker = tracker
        self.marks = [time.perf_counter()]

    def log(self, record: dict[str, float], epoch: int) -> None:
        self.tracker.log_metrics(record, epoch)
        self.marks.append(time.perf_counter())

    def epochs(self) -> list[float]:
        return [end - start for start, end in itertools.pairwise(self.marks)]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-training-") as scratch_dir:
        scratch = Path(scratch_dir)
        modules = _generated(scratch / "churn")
        model_module = modules["model"]
        os.chdir(scratch)
        os.environ["MLFLOW_TRACKING_URI"] = f"sqlite:///{scratch / 'mlflow.db'}"
        data = scratch / "sample.csv"
        modules["sample_data"].generate(args.rows, seed=0).to_csv(data, index=False)
        config = replace(
            modules["training.config"].TrainConfig.from_yaml(
                scratch / "churn" / "configs" / "train.yaml"
            ),
            epochs=args.epochs,
            patience=args.epochs,
        )

        started = time.perf_counter()
        result = modules["training.pipeline"].run(
            config, data_path=data, output_dir=scratch / "artifacts", track=True
        )
        end_to_end = time.perf_counter() - started

        prepared = result.prepared
        features = torch.from_numpy(prepared.preprocessor.transform(prepared.split.train))
        target = torch.from_numpy(prepared.preprocessor.encode_target(prepared.split.train))
        valid = (
            torch.from_numpy(prepared.preprocessor.transform(prepared.split.valid)),
            torch.from_numpy(prepared.preprocessor.encode_target(prepared.split.valid)),
        )
        dataset = torch.utils.data.TensorDataset(features, target)
        tracker = modules["tracking"].Tracker("bench-hooks")
        hooked: list[float] = []
        bare: list[float] = []
        for _ in range(args.rounds):
            torch.manual_seed(config.seed)
            net, _ = model_module.build_model(
                prepared.preprocessor.numeric_width,
                prepared.preprocessor.cardinalities,
                config.hidden_sizes,
                config.dropout,
            )
            torch.use_deterministic_algorithms(False)
            torch.set_num_threads(config.cpu_threads)
            bare += _bare_epochs(
                net,
                features,
                target,
                valid,
                config,
                model_module.loss_target,
                model_module.loss_function(),
            )
            net, _ = model_module.build_model(
                prepared.preprocessor.numeric_width,
                prepared.preprocessor.cardinalities,
                config.hidden_sizes,
                config.dropout,
            )
            modules["training.compliance"].set_seeds(config.seed)
            clock = _EpochClock(tracker)
            distributed = modules["training.distributed"].Distributed()
            modules["training.loop"].fit(
                net, dataset, valid, config, distributed, on_epoch=clock.log
            )
            hooked += clock.epochs()
        tracker.finish()
    figures = {
        "example": EXAMPLE.name,
        "rows": args.rows,
        "train_rows": len(prepared.split.train),
        "epochs": args.epochs,
        "batch_size": config.batch_size,
        "torch_threads": config.cpu_threads,
        "training_rows_per_s": round(result.fit.rows_per_second),
        "end_to_end_s": round(end_to_end, 1),
        "end_to_end_rows_per_s": round(args.rows / end_to_end),
        "bare_epoch_s": round(min(bare), 3),
        "hooked_epoch_s": round(min(hooked), 3),
        "hook_overhead_ratio": round(min(hooked) / min(bare), 3),
        "target_ratio": 1.10,
    }
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

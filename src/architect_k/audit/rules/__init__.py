"""One module per rule, named by rule id; ``CHECKS`` maps the id to its check function."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo
from architect_k.audit.rules import (
    r01_tests,
    r02_credentials,
    r03_schema,
    r04_split,
    r05_images,
    r06_rollout,
    r07_gpu_profiling,
    r08_seed,
    r09_effective_batch,
    r10_model_card,
    r11_psi,
    r12_pins,
)

Check = Callable[[Repo, Rule], Iterator[Hit]]

CHECKS: dict[str, Check] = {
    "R1": r01_tests.check,
    "R2": r02_credentials.check,
    "R3": r03_schema.check,
    "R4": r04_split.check,
    "R5": r05_images.check,
    "R6": r06_rollout.check,
    "R7": r07_gpu_profiling.check,
    "R8": r08_seed.check,
    "R9": r09_effective_batch.check,
    "R10": r10_model_card.check,
    "R11": r11_psi.check,
    "R12": r12_pins.check,
}

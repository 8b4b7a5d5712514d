"""This process's place in a torchrun job: DDP over gloo on CPU, nccl on GPU."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import torch
import torch.distributed as dist


@dataclass
class Distributed:
    """This process's place in a torchrun job (rank 0 of 1 without torchrun)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        """Whether this process logs, reports and exports."""
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        """Whether this process is in a process group (gradients are all-reduced)."""
        return dist.is_available() and dist.is_initialized()


def select_device(local_rank: int = 0) -> torch.device:
    """This process's GPU when CUDA is present, else the CPU."""
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        return torch.device("cuda", local_rank)
    return torch.device("cpu")


def init_distributed() -> Distributed:
    """Join the process group torchrun describes in the environment; one process otherwise."""
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    device = select_device(local_rank)
    if "WORLD_SIZE" in os.environ and "MASTER_ADDR" in os.environ:
        dist.init_process_group(backend="nccl" if device.type == "cuda" else "gloo")
        return Distributed(dist.get_rank(), dist.get_world_size(), local_rank, device)
    return Distributed(device=device)

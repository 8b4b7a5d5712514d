"""Sizing the process to the container: CPU quota, worker count and torch threads."""

from __future__ import annotations

import math
import os
from pathlib import Path

CGROUP_V2_CPU_MAX = Path("/sys/fs/cgroup/cpu.max")
CGROUP_V1_QUOTA = Path("/sys/fs/cgroup/cpu/cpu.cfs_quota_us")
CGROUP_V1_PERIOD = Path("/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def cpu_quota(
    cpu_max: Path = CGROUP_V2_CPU_MAX,
    v1_quota: Path = CGROUP_V1_QUOTA,
    v1_period: Path = CGROUP_V1_PERIOD,
) -> float | None:
    """CPUs granted by the cgroup limit (e.g. 2.0 for `limits.cpu: 2`); None when unlimited.

    os.cpu_count() reports the node's cores, not the pod's share: sizing workers or threads
    from it oversubscribes the quota and the kernel throttles the pod, which shows as p99 spikes.
    """
    try:
        quota, period = cpu_max.read_text(encoding="ascii").split()[:2]
        if quota == "max":
            return None
        return int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        quota_us = int(v1_quota.read_text(encoding="ascii"))
        period_us = int(v1_period.read_text(encoding="ascii"))
    except (OSError, ValueError):
        return None
    return quota_us / period_us if quota_us > 0 and period_us > 0 else None


def available_cpus() -> int:
    """Whole CPUs this process may use: the cgroup quota, the affinity mask, whichever is less."""
    affinity = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    cores = affinity or os.cpu_count() or 1
    quota = cpu_quota()
    if quota is None:
        return cores
    return max(1, min(cores, math.floor(quota)))


def torch_threads(workers: int, override: int | None = None) -> int:
    """Intra-op threads per worker so that all workers together fit the CPU quota.

    One-row predictions gain nothing from more threads, and extra threads spin and steal the
    cycles another worker needs for its tail latency.
    """
    if override is not None:
        return max(1, override)
    return max(1, available_cpus() // max(1, workers))

"""Readiness across uvicorn workers: ready only when every worker has its model loaded.

Each worker is a process with its own model; /ready reaches whichever worker accepts the
probe's connection. Without a shared view, one loaded worker answers 200 while its siblings
still answer 503 to predictions. With several workers `python -m` this package sets
WORKER_READINESS_DIR to a private directory where each loaded worker leaves a marker named by
its pid; markers of dead workers (uvicorn restarts a crashed one) do not count.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

#: Set by __main__ for multi-worker runs; absent, this process is the only worker.
DIRECTORY_VARIABLE: Final = "WORKER_READINESS_DIR"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    return True


class WorkerReadiness:
    """Markers of the workers that have loaded their model."""

    def __init__(self, directory: Path | None, workers: int) -> None:
        self.directory = directory
        self.workers = workers
        self._marker = directory / str(os.getpid()) if directory is not None else None

    @classmethod
    def from_env(cls, workers: int) -> WorkerReadiness:
        """The shared view __main__ set up, or a single-worker one."""
        raw = os.environ.get(DIRECTORY_VARIABLE, "").strip()
        return cls(Path(raw) if raw else None, workers)

    def loaded(self) -> None:
        """This worker's model is in memory."""
        if self._marker is not None:
            self._marker.touch()

    def unloaded(self) -> None:
        """This worker is stopping."""
        if self._marker is not None:
            self._marker.unlink(missing_ok=True)

    def all_loaded(self) -> bool:
        """Whether every worker has loaded its model (always, for a single worker)."""
        if self.directory is None:
            return True
        live = 0
        for marker in self.directory.iterdir():
            if marker.name.isdigit() and _alive(int(marker.name)):
                live += 1
        return live >= self.workers

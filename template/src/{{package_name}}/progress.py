"""Progress on long work: a live line on a terminal, one structured line per step in a log.

A person at a terminal wants one bar that redraws in place; CI and Kubernetes capture stderr
line by line, where a redrawn bar turns into noise, so there each step is one JSON object a log
pipeline can parse.
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sized
from typing import Final, TextIO, TypeVar

BAR_WIDTH: Final = 24
#: Seconds between two log lines of a row count when stderr is not a terminal.
LOG_INTERVAL_S: Final = 10.0
_CLEAR_LINE: Final = "\r\033[K"

Chunk = TypeVar("Chunk", bound=Sized)


def _clock_text(seconds: float) -> str:
    minutes, secs = divmod(round(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


class EpochProgress:
    """Per-epoch training progress: rows/s, losses, the validation metric and time left.

    Time left is the mean epoch time over the epochs still allowed; early stopping can only
    make it shorter.
    """

    def __init__(
        self,
        epochs: int,
        rows_per_epoch: int,
        metric: str,
        stream: TextIO | None = None,
    ) -> None:
        self.epochs = epochs
        self.rows_per_epoch = rows_per_epoch
        self.metric = metric
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty()
        self._seconds = 0.0
        self._drawn = False
        self._handlers: list[logging.Handler] = []
        if self.interactive:
            # A log record (early stopping, GPU memory) must not be glued to the bar's line.
            self._handlers = list(logging.getLogger().handlers)
            for handler in self._handlers:
                handler.addFilter(self._end_line)

    def _end_line(self, record: logging.LogRecord) -> bool:
        if self._drawn:
            self.stream.write("\n")
            self._drawn = False
        return True

    def update(self, epoch: int, record: Mapping[str, float]) -> None:
        """Show one finished epoch; `record` holds its losses, metric and `epoch_seconds`."""
        self._seconds += record["epoch_seconds"]
        rows_per_second = self.rows_per_epoch / max(record["epoch_seconds"], 1e-9)
        remaining = self._seconds / epoch * (self.epochs - epoch)
        metric = record.get(f"valid_{self.metric}")
        if metric is not None and not math.isfinite(metric):
            metric = None  # undefined on this split (one class present): not a number to show
        if not self.interactive:
            line = {
                "event": "epoch",
                "epoch": epoch,
                "epochs": self.epochs,
                "train_loss": round(record["train_loss"], 6),
                "valid_loss": round(record["valid_loss"], 6),
                f"valid_{self.metric}": None if metric is None else round(metric, 6),
                "rows_per_second": round(rows_per_second, 1),
                "seconds_left": round(remaining, 1),
            }
            self.stream.write(json.dumps(line) + "\n")
            self.stream.flush()
            return
        filled = round(BAR_WIDTH * epoch / self.epochs)
        bar = "█" * filled + "░" * (BAR_WIDTH - filled)
        shown = "" if metric is None else f" {self.metric} {metric:.4f}"
        self.stream.write(
            f"{_CLEAR_LINE}epoch {epoch}/{self.epochs} {bar} loss {record['train_loss']:.4f} "
            f"val {record['valid_loss']:.4f}{shown} | {rows_per_second:,.0f} rows/s | "
            f"{_clock_text(remaining)} left"
        )
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        """End the terminal line so what follows starts on its own."""
        for handler in self._handlers:
            handler.removeFilter(self._end_line)
        self._handlers = []
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False


class RowProgress:
    """Rows counted so far while a long input streams through, chunk by chunk."""

    def __init__(
        self,
        what: str,
        stream: TextIO | None = None,
        *,
        interval: float = LOG_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.what = what
        self.stream = stream if stream is not None else sys.stderr
        self.interactive = self.stream.isatty()
        self.interval = interval
        self.clock = clock
        self.rows = 0
        self._started = clock()
        self._last_log = self._started
        self._drawn = False

    def _line(self) -> str:
        elapsed = self.clock() - self._started
        rate = self.rows / elapsed if elapsed > 0 else 0.0
        return f"{self.what}: {self.rows:,} rows counted ({rate:,.0f} rows/s)"

    def advance(self, rows: int) -> None:
        """Count `rows` more; redraw on a terminal, log at most once per `interval` otherwise."""
        self.rows += rows
        if self.interactive:
            self.stream.write(_CLEAR_LINE + self._line())
            self._drawn = True
        elif self.clock() - self._last_log >= self.interval:
            self.stream.write(self._line() + "\n")
            self._last_log = self.clock()
        else:
            return
        self.stream.flush()

    def track(self, chunks: Iterable[Chunk]) -> Iterator[Chunk]:
        """Pass `chunks` through, counting their rows; ends the line when they run out."""
        try:
            for chunk in chunks:
                self.advance(len(chunk))
                yield chunk
        finally:
            self.close()

    def close(self) -> None:
        """End the terminal line so what follows starts on its own."""
        if self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

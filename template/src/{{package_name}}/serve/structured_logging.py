"""JSON logs on stderr, one object per line, for the cluster's log pipeline.

Nothing on the request path logs: no access log, no bodies, no feature values. Only lifecycle
events (model loaded, shutdown) and failures are written, so protected attributes never reach
a log line. Uncaught exceptions, in any thread, go through the same formatter.
"""

from __future__ import annotations

import logging
import logging.config
import sys
import threading
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, Final

import orjson

#: LogRecord attributes that are not `extra=` fields.
_RESERVED: Final = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}


class JSONFormatter(logging.Formatter):
    """Formats a record as one JSON object: ts, level, logger, message, extra fields, exc."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(
            (key, value) for key, value in vars(record).items() if key not in _RESERVED
        )
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return orjson.dumps(entry, default=str).decode()


def logging_config(level: str = "info") -> dict[str, Any]:
    """A dictConfig for the service and uvicorn's loggers (uvicorn takes it as log_config)."""
    handler = {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stderr"}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": JSONFormatter}},
        "handlers": {"stderr": handler},
        "root": {"handlers": ["stderr"], "level": level.upper()},
        "loggers": {
            "uvicorn": {"handlers": [], "propagate": True},
            "uvicorn.error": {"handlers": [], "propagate": True},
            # Per-request access lines cost latency and would repeat what /metrics counts.
            "uvicorn.access": {"handlers": [], "propagate": False, "level": "WARNING"},
        },
    }


def _log_uncaught_thread_exception(args: threading.ExceptHookArgs) -> None:
    logging.getLogger("threading").error(
        "uncaught exception in a thread",
        exc_info=(args.exc_type, args.exc_value, args.exc_traceback),  # type: ignore[arg-type]
        extra={"thread_name": args.thread.name if args.thread else None},
    )


def _log_uncaught_exception(
    kind: type[BaseException], value: BaseException, traceback: TracebackType | None
) -> None:
    logging.getLogger("uncaught").critical("uncaught exception", exc_info=(kind, value, traceback))


def configure(level: str = "info") -> None:
    """Install the JSON logging configuration in this process, uncaught exceptions included
    (Python's default hooks would print bare tracebacks that log pipelines cannot parse)."""
    logging.config.dictConfig(logging_config(level))
    install_exception_hooks()


def install_exception_hooks() -> None:
    """Route uncaught exceptions, in any thread, through logging (each worker calls it too)."""
    sys.excepthook = _log_uncaught_exception
    threading.excepthook = _log_uncaught_thread_exception

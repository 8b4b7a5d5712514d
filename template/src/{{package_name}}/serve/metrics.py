"""Prometheus metrics of the service and the pure-ASGI middleware that records them.

With several uvicorn workers each one is a process: set PROMETHEUS_MULTIPROC_DIR (`python -m`
this package does) and /metrics aggregates every worker's samples.

HPA: `rate(inference_requests_total[1m])`, exposed by prometheus-adapter as the pods metric
`inference_requests_per_second`, is what the autoscaler targets.
"""

from __future__ import annotations

import os
import time
from typing import Any, Final

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.types import ASGIApp, Message, Receive, Scope, Send

MULTIPROCESS: Final = bool(os.environ.get("PROMETHEUS_MULTIPROC_DIR"))
#: Label values of the `route` label; anything else counts as "other" so that scanners probing
#: random paths cannot grow the series count without bound.
ROUTES: Final = frozenset(
    {"/v1/predict", "/health", "/ready", "/metrics", "/docs", "/openapi.json"}
)
METHODS: Final = frozenset({"GET", "POST", "HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"})
#: Fine resolution around the SLA (milliseconds matter), coarse beyond it.
LATENCY_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.0075, 0.01, 0.0125, 0.015, 0.02, 0.03, 0.045, 0.06, 0.08,
    0.1, 0.15, 0.25, 0.5, 1.0, 2.5,
)  # fmt: skip

REGISTRY: Final = CollectorRegistry(auto_describe=True)

REQUEST_LATENCY: Final = Histogram(
    "http_request_duration_seconds",
    "Time from the request's arrival to its last response byte, by route.",
    ["route", "method"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
REQUESTS: Final = Counter(
    "http_requests",
    "HTTP requests answered, by route, method and status code.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
ERRORS: Final = Counter(
    "inference_errors",
    "Prediction requests that failed, by kind "
    "(auth, media_type, validation, too_large, unavailable, server).",
    ["kind"],
    registry=REGISTRY,
)
INFERENCE_REQUESTS: Final = Counter(
    "inference_requests",
    "Prediction requests that returned predictions (the HPA's requests-per-second source).",
    registry=REGISTRY,
)
INFERENCE_ROWS: Final = Counter(
    "inference_rows",
    "Rows predicted (a batch request counts each of its rows).",
    registry=REGISTRY,
)
MODEL_INFO: Final = Gauge(
    "model_info",
    "The model this worker serves: 1 for its model and schema version.",
    ["model_version", "schema_version"],
    multiprocess_mode="max",
    registry=REGISTRY,
)
PREDICTION_LOG_DROPPED: Final = Counter(
    "prediction_log_dropped_rows",
    "Rows not written to the prediction log, by reason (queue_full, unencodable, write_failed).",
    ["reason"],
    registry=REGISTRY,
)
PREDICTION_LOG_WRITER_UP: Final = Gauge(
    "prediction_log_writer_up",
    "1 while every worker's prediction-log writer runs; 0 means drift monitoring is blind.",
    multiprocess_mode="livemin",
    registry=REGISTRY,
)
CONNECTIONS_REFUSED: Final = Counter(
    "http_connections_refused",
    "Connections closed by the transport limits, by reason "
    "(connection_limit, header_too_large, header_timeout).",
    ["reason"],
    registry=REGISTRY,
)
PREDICTION_LOG_WRITTEN: Final = Counter(
    "prediction_log_written_rows",
    "Rows written to the prediction log.",
    registry=REGISTRY,
)


def render() -> tuple[bytes, str]:
    """The exposition text of every worker's metrics and its content type."""
    if MULTIPROCESS:
        registry = CollectorRegistry()
        MultiProcessCollector(registry)  # type: ignore[no-untyped-call]  # unannotated upstream
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


class RequestMetrics:
    """Times every HTTP request and counts it by status, without touching its body.

    Pure ASGI rather than BaseHTTPMiddleware: no extra task or stream copy per request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        # Label lookups hash and lock on every call; the set of children is small and fixed.
        self._latency: dict[tuple[str, str], Any] = {}
        self._requests: dict[tuple[str, str, int], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_record)
        finally:
            elapsed = time.perf_counter() - start
            path = scope["path"]
            route = path if path in ROUTES else "other"
            method = scope["method"] if scope["method"] in METHODS else "OTHER"
            latency = self._latency.get((route, method))
            if latency is None:
                latency = self._latency[route, method] = REQUEST_LATENCY.labels(route, method)
            latency.observe(elapsed)
            counter = self._requests.get((route, method, status))
            if counter is None:
                counter = REQUESTS.labels(route, method, str(status))
                self._requests[route, method, status] = counter
            counter.inc()

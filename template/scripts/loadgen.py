"""The load generator behind scripts/loadtest.py: honest and dependency-free.

A fixed number of HTTP/1.1 keep-alive connections (closed loop, each sends its next request
when the previous answer is in), a bounded duration after a warm-up, latency measured per
request on the client from the first byte written to the last byte read, and every non-2xx
answer, timeout or broken connection counted as an error. It runs on one core; the server gets
the rest.
"""

from __future__ import annotations

import asyncio
import math
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

REQUEST_TIMEOUT_S = 10.0


@dataclass
class Result:
    """What one load run measured."""

    concurrency: int
    duration_s: float
    requests: int
    errors: int
    rps: float
    p50_ms: float
    p99_ms: float
    max_ms: float
    error_samples: list[str] = field(default_factory=list)


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of sorted values, nearest-rank; NaN when there are none."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q * len(sorted_values)))
    return sorted_values[rank - 1]


def build_request(url: str, body: bytes, headers: Sequence[str]) -> bytes:
    """One raw HTTP/1.1 POST with a keep-alive connection."""
    parts = urlsplit(url)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    lines = [
        f"POST {path} HTTP/1.1",
        f"Host: {parts.hostname}:{parts.port}",
        "Content-Type: application/json",
        f"Content-Length: {len(body)}",
        *headers,
    ]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    length = None
    keep_alive = True
    for line in header_lines:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value.strip())
        elif name == "connection" and value.strip().lower() == "close":
            keep_alive = False
        elif name == "transfer-encoding":
            raise ValueError("chunked responses are not supported by this load generator")
    if length is None:
        raise ValueError("response without Content-Length")
    await reader.readexactly(length)
    return status, keep_alive


async def _connection(
    url: str,
    requests: Sequence[bytes],
    offset: int,
    ssl_context: ssl.SSLContext | None,
    start: float,
    stop: float,
    latencies: list[float],
    errors: list[str],
) -> None:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    index = offset
    while time.perf_counter() < stop:
        try:
            if writer is None or reader is None:
                reader, writer = await asyncio.open_connection(host, port, ssl=ssl_context)
                writer.get_extra_info("socket").setsockopt(
                    socket.IPPROTO_TCP, socket.TCP_NODELAY, 1
                )
            sent = time.perf_counter()
            writer.write(requests[index % len(requests)])
            index += 1
            status, keep_alive = await asyncio.wait_for(_read_response(reader), REQUEST_TIMEOUT_S)
            done = time.perf_counter()
            if sent >= start:  # requests sent during the warm-up are not counted
                if 200 <= status < 300:
                    latencies.append(done - sent)
                else:
                    errors.append(f"HTTP {status}")
            if not keep_alive:
                writer.close()
                reader = writer = None
        except (OSError, ValueError, asyncio.IncompleteReadError, TimeoutError) as error:
            if time.perf_counter() >= start:
                errors.append(f"{type(error).__name__}: {error}")
            if writer is not None:
                writer.close()
            reader = writer = None
            await asyncio.sleep(0.01)
    if writer is not None:
        writer.close()


async def drive_async(
    url: str,
    bodies: Sequence[bytes],
    *,
    headers: Sequence[str] = (),
    concurrency: int = 8,
    duration_s: float = 10.0,
    warmup_s: float = 2.0,
    ssl_context: ssl.SSLContext | None = None,
) -> Result:
    """Drive `url` with `concurrency` connections for warm-up + `duration_s` seconds."""
    requests = [build_request(url, body, headers) for body in bodies]
    latencies: list[float] = []
    errors: list[str] = []
    start = time.perf_counter() + warmup_s
    stop = start + duration_s
    await asyncio.gather(
        *(
            _connection(url, requests, n, ssl_context, start, stop, latencies, errors)
            for n in range(concurrency)
        )
    )
    elapsed = max(time.perf_counter() - start, 1e-9)
    latencies.sort()
    return Result(
        concurrency=concurrency,
        duration_s=round(elapsed, 2),
        requests=len(latencies) + len(errors),
        errors=len(errors),
        rps=round(len(latencies) / elapsed, 1),
        p50_ms=round(percentile(latencies, 0.50) * 1000, 2),
        p99_ms=round(percentile(latencies, 0.99) * 1000, 2),
        max_ms=round((latencies[-1] if latencies else math.nan) * 1000, 2),
        error_samples=sorted(set(errors))[:5],
    )


def drive(url: str, bodies: Sequence[bytes], **options: Any) -> Result:
    """Synchronous front end of drive_async, on uvloop when it is installed."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(drive_async(url, bodies, **options))
    return uvloop.run(drive_async(url, bodies, **options))

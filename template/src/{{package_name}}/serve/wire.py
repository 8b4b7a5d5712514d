"""Raw ASGI responses for the prediction fast path (no Starlette Response objects)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import orjson
from starlette.types import Send

JSON_HEADER: Final = (b"content-type", b"application/json")


@dataclass(frozen=True)
class Refusal:
    """A request refused before the model runs: status, a short reason, extra headers."""

    status: int
    detail: Any
    headers: tuple[tuple[bytes, bytes], ...] = field(default=())


async def send_json(
    send: Send, status: int, body: bytes, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    """Send a complete JSON response whose body is already serialised."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [JSON_HEADER, (b"content-length", str(len(body)).encode()), *headers],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def send_refusal(send: Send, refusal: Refusal) -> None:
    """Answer with a Refusal as `{"detail": ...}`."""
    await send_json(send, refusal.status, orjson.dumps({"detail": refusal.detail}), refusal.headers)

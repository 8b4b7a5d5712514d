"""The bare contestant: the same exported model behind a minimal ASGI handler.

No authentication, validation, metrics, prediction log or routing: read the body, score it with
the service's own Predictor, write JSON. Served by the same uvicorn (uvloop + httptools, one
worker) as the generated service, it is the floor that ours ÷ bare measures the cost against.

    MODEL_DIR=... PYTHONPATH=<rendered repo>/src uvicorn bare_asgi:app --app-dir bench/serving
"""

from __future__ import annotations

import gc
import os
from pathlib import Path
from typing import Any

import orjson
import torch
from churn_service.predictor import Predictor  # type: ignore[import-not-found]
from churn_service.serve import runtime  # type: ignore[import-not-found]

# The same intra-op thread count as the generated service gives its one worker.
torch.set_num_threads(runtime.torch_threads(1))
PREDICTOR = Predictor.load(Path(os.environ["MODEL_DIR"]))
# As the service does after its load: keeps full collections from rescanning the model, so
# that the floor is not raised by a cost the service does not pay.
gc.collect()
gc.freeze()
JSON = [(b"content-type", b"application/json")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Any GET answers 200 (readiness: the model loaded at import); a POST is one prediction."""
    if scope["type"] != "http":
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    if scope["method"] == "GET":
        payload = b'{"status":"ready"}'
    else:
        payload = orjson.dumps(
            {"predictions": PREDICTOR.predict_records([orjson.loads(body)])},
            option=orjson.OPT_NON_STR_KEYS,
        )
    headers = [*JSON, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": payload})

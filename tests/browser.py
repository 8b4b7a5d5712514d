"""A real headless Chromium driven over the DevTools protocol, for pages the template generates.

Debian's `chromium` package (`apt-get install -y chromium`; .ci/run installs it) is started
with a fresh profile and every background service off, so any request it records came from the
page under test. The protocol is spoken with `websockets`, already in the locks: no browser
driver to download.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from websockets.sync.client import ClientConnection, connect

from architect_k.procutil import stop

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
    "--window-size=1280,900",
)
START_TIMEOUT_S = 30.0


@dataclass
class PageLoad:
    """What loading one page did: console errors, requests other than the page, a screenshot."""

    url: str
    console_errors: list[str] = field(default_factory=list)
    requests: list[str] = field(default_factory=list)
    screenshot: bytes = b""

    @property
    def outside_requests(self) -> list[str]:
        """Requests for anything but the page itself (inline data: URLs never leave the page)."""
        return [url for url in self.requests if url != self.url and not url.startswith("data:")]


class Page:
    """One tab, attached over its own DevTools websocket."""

    def __init__(self, socket: ClientConnection) -> None:
        self._socket = socket
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        """Call a protocol method and return its result; events seen meanwhile are kept."""
        self._next_id += 1
        self._socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self._socket.recv(timeout=START_TIMEOUT_S))
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                result: dict[str, Any] = message["result"]
                return result
            self._events.append(message)

    def wait_for(self, event: str) -> None:
        """Block until `event` arrives (or has already arrived since the last navigation)."""
        while not any(e.get("method") == event for e in self._events):
            self._events.append(json.loads(self._socket.recv(timeout=START_TIMEOUT_S)))

    def load(self, path: Path) -> PageLoad:
        """Navigate to a local file, let it settle, and report what it did."""
        self._events.clear()
        url = path.resolve().as_uri()
        self.send("Page.navigate", url=url)
        self.wait_for("Page.loadEventFired")
        # A round trip after the load event flushes console and network events still queued.
        self.send("Runtime.evaluate", expression="document.readyState")
        time.sleep(0.5)
        self.send("Runtime.evaluate", expression="1")
        load = PageLoad(url=url)
        for event in self._events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Network.requestWillBeSent":
                load.requests.append(params["request"]["url"])
            elif method == "Runtime.consoleAPICalled" and params["type"] in {"error", "assert"}:
                load.console_errors.append(
                    " ".join(str(a.get("value", a.get("description"))) for a in params["args"])
                )
            elif method == "Runtime.exceptionThrown":
                load.console_errors.append(params["exceptionDetails"]["text"])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                load.console_errors.append(params["entry"]["text"])
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.send(
            "Page.captureScreenshot",
            format="png",
            captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        load.screenshot = base64.b64decode(shot["data"])
        return load


@contextmanager
def chromium() -> Iterator[Page]:
    """A headless Chromium with one page whose console, network and log are recorded."""
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            port_file = Path(profile) / "DevToolsActivePort"
            deadline = time.monotonic() + START_TIMEOUT_S
            while not (port_file.is_file() and port_file.read_text().count("\n") >= 1):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"{CHROMIUM} did not start (exit {process.poll()})")
                time.sleep(0.1)
            port = int(port_file.read_text().split()[0])
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as r:
                targets = json.loads(r.read())
            tab = next(t for t in targets if t["type"] == "page")
            with connect(tab["webSocketDebuggerUrl"], max_size=2**26) as socket:
                page = Page(socket)
                for domain in ("Page", "Runtime", "Log", "Network"):
                    page.send(f"{domain}.enable")
                yield page
        finally:
            stop(process, timeout=10)

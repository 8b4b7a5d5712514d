"""Stopping the child processes the developer tools start: a browser, a Docker daemon, a server."""

from __future__ import annotations

import subprocess
from typing import Any


def stop(process: subprocess.Popen[Any], timeout: float) -> int:
    """SIGTERM ``process``, give it ``timeout`` seconds to exit cleanly, then SIGKILL it.

    Returns its exit status. A child that ignores SIGTERM must not outlive the run that
    started it, nor hang the run forever.
    """
    process.terminate()
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait()

"""Stopping the child processes that tests, scripts and benchmarks start."""

from __future__ import annotations

import signal
import subprocess
import sys

import pytest

from architect_k.procutil import stop

CHILD = """
import signal, sys, time
if sys.argv[1] == "ignore":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ready", flush=True)
time.sleep(120)
"""


@pytest.mark.parametrize(
    ("on_sigterm", "status"), [("exit", -signal.SIGTERM), ("ignore", -signal.SIGKILL)]
)
def test_stop_terminates_and_kills_a_child_that_ignores_it(on_sigterm: str, status: int) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, on_sigterm], stdout=subprocess.PIPE, text=True
    )
    assert child.stdout is not None and child.stdout.readline() == "ready\n"
    assert stop(child, timeout=1) == status
    child.stdout.close()

"""An interactive `copier copy` in a real terminal: derived defaults, inference, re-asking."""

from __future__ import annotations

import fcntl
import os
import pty
import re
import select
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import yaml

from architect_k import REPO_ROOT

ANSI = re.compile(rb"\x1b\[[0-9;?]*[A-Za-z]")
ENTER, SUBMIT_MULTILINE, BACKSPACE = "\r", "\x1b\r", "\x7f"


class Terminal:
    """A program on a pseudo-terminal, read until a text appears, then typed into."""

    def __init__(self, argv: list[str], cwd: Path) -> None:
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 50, 220, 0, 0))
        self.process = subprocess.Popen(
            argv,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            cwd=cwd,
            env={**os.environ, "TERM": "xterm", "NO_COLOR": "1"},
        )
        os.close(slave)
        self.screen = b""

    def _read(self) -> bool:
        """Append what the program printed in the next 0.2 s; False once the terminal closed."""
        ready, _, _ = select.select([self.master], [], [], 0.2)
        if ready:
            try:
                self.screen += os.read(self.master, 65536)
            except OSError:
                return False
        return True

    def expect(self, text: str, timeout: float = 60) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            plain = ANSI.sub(b"", self.screen)
            if text.encode() in plain:
                self.screen = b""
                return plain.decode(errors="replace")
            if not self._read():
                break
        raise AssertionError(
            f"never saw {text!r}; screen ends with:\n"
            f"{ANSI.sub(b'', self.screen)[-2000:].decode(errors='replace')}"
        )

    def answer(self, prompt: str, keys: str) -> str:
        seen = self.expect(prompt)
        os.write(self.master, keys.encode())
        return seen

    def finish(self, timeout: float = 120) -> int:
        deadline = time.monotonic() + timeout
        while self.process.poll() is None and time.monotonic() < deadline:
            if not self._read():
                break
        if self.process.poll() is None:
            self.process.kill()
        return self.process.wait(timeout=10)


def test_interactive_run_infers_the_schema_and_re_asks_with_the_reason(tmp_path: Path) -> None:
    (tmp_path / "sample.csv").write_text(
        "age,plan,label\n31,basic,true\n45,pro,false\n27,basic,false\n52,pro,true\n",
        encoding="utf-8",
    )
    copier = str(Path(sys.executable).with_name("copier"))
    term = Terminal(
        [copier, "copy", "--trust", "--vcs-ref", "HEAD", str(REPO_ROOT), "service"], tmp_path
    )
    term.answer("project_name:", "Loan Model" + ENTER)
    term.answer("project_description:", ENTER)
    seen = term.answer("package_name:", ENTER)
    assert "derived from the project name" in seen
    term.answer("A schema file", "sample.csv" + ENTER)
    term.answer("dataset_schema:", SUBMIT_MULTILINE)
    term.answer("task_type", ENTER)
    term.answer("target_metric", ENTER)
    term.answer("metric_threshold", "0.8" + ENTER)
    term.answer("deployment_cloud", ENTER)
    term.answer("deployment_compute", ENTER)
    term.answer("kubernetes_version", ENTER)
    term.answer("k8s_namespace", ENTER)
    term.answer("image_registry", "registry.example.com/ml" + ENTER)
    term.answer("latency_p50_ms", "20" + ENTER)
    term.answer("latency_p99_ms", "10" + ENTER)
    term.answer("p99 10 ms is below p50 20 ms", BACKSPACE * 2 + "50" + ENTER)
    term.answer("throughput_rps", "100" + ENTER)
    for prompt in ("auth_mode", "coverage_threshold", "domain", "protected_attributes"):
        term.answer(prompt, ENTER)
    term.answer("distributed", ENTER)
    assert term.finish() == 0, ANSI.sub(b"", term.screen)[-3000:].decode(errors="replace")

    answers = yaml.safe_load((tmp_path / "service" / ".copier-answers.yml").read_text("utf-8"))
    assert answers["package_name"] == "loan_model"
    assert answers["k8s_namespace"] == "loan-model"
    assert answers["dataset_schema"] == {
        "target": "label",
        "columns": {
            "age": {"dtype": "int"},
            "plan": {"dtype": "category", "categories": ["basic", "pro"]},
            "label": {"dtype": "bool"},
        },
    }
    assert answers["task_type"] == "binary_classification"
    assert answers["latency_p99_ms"] == 50

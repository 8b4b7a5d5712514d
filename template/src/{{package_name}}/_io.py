"""What the service's commands share: files replaced atomically, and usage errors that exit
with the command's own bad-input status rather than argparse's 2."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, NoReturn


def atomic_write_text(path: Path, text: str) -> None:
    """Write `text` to `path` through a temporary file and one rename: a reader (the server, a
    scraper, the next job) sees the old file or the new one, never half of one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            # mkstemp creates the file 0600; reports and bundle files are read by other users
            # (the serving image's non-root user, a textfile collector), as a plain write allows.
            os.fchmod(stream.fileno(), 0o644)
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


class ExitCodeParser(argparse.ArgumentParser):
    """An argument parser whose usage errors exit with `usage_exit_code`.

    A job whose exit status carries a verdict (the PSI job's 2 means "alert") cannot let a
    mistyped flag exit 2 as well.
    """

    def __init__(self, *args: Any, usage_exit_code: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.usage_exit_code = usage_exit_code

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(self.usage_exit_code, f"{self.prog}: error: {message}\n")

"""Atomic file replacement: a reader sees the old file or the new one, never half of either.

The one implementation for every file the package rewrites in place: audit reports and R2
fixes, the Scar Ledger when debridement rewrites it, reflection reports, and the answers file a
migration renames a key in. Standard library only: copier's interpreter runs it too.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_atomic(path: Path, data: str | bytes) -> None:
    """Replace ``path`` with ``data`` via a temporary sibling and ``os.replace``.

    Text is written as UTF-8 exactly as given (no newline translation). A replaced file keeps
    its permission bits; a new one gets mkstemp's owner-only mode. The data and then the
    directory entry are fsynced, so after a crash the file holds one version or the other.
    """
    path = Path(path)
    directory = path.parent
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        mode: int | None = path.stat().st_mode & 0o7777
    except FileNotFoundError:
        mode = None
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    directory_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_fd)
    finally:
        os.close(directory_fd)

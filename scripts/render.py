"""Render an example answers file from this working tree: `python scripts/render.py EXAMPLE DEST`.

Used by `make demo` and by developers; tests use the same function through tests/conftest.py.
"""

from __future__ import annotations

import sys
from pathlib import Path

from architect_k.render import render_example

if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit("usage: python scripts/render.py EXAMPLE.yml DEST")
    render_example(Path(sys.argv[1]), Path(sys.argv[2]))
    print(f"rendered {sys.argv[1]} into {sys.argv[2]}")

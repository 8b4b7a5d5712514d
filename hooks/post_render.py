"""Post-render task: audit the freshly rendered service against R1-R12.

A template change that breaks a rule fails the render loudly instead of shipping. Runs in
copier's own interpreter, with the package imported from this template's src/.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from architect_k.audit.cli import main

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: post_render.py DESTINATION")
    status = main([sys.argv[1], "--format", "text"])
    if status == 1:
        print(
            "HALT: the rendered service breaks the rules above; this is a template bug. "
            "Nothing was committed; report it to the template's owners.",
            file=sys.stderr,
        )
    sys.exit(status)

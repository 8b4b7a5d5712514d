"""The `architect-k` command: dispatches to the audit and ledger sub-commands."""

from __future__ import annotations

import sys
from collections.abc import Sequence

USAGE = """usage: architect-k {audit,ledger} ...

  audit PATH     check an ML repository against rules R1-R12 (text, json, sarif)
  ledger ...     verify, match, mint, debride, reflect on the Scar Ledger
"""


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the process exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        sys.stdout.write(USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "audit":
        from architect_k.audit.cli import main as audit_main

        return audit_main(rest)
    if command == "ledger":
        from architect_k.ledger.cli import main as ledger_main

        return ledger_main(rest)
    sys.stderr.write(f"architect-k: unknown command {command!r}\n{USAGE}")
    return 2

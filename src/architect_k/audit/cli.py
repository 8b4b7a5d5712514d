"""``architect-k audit PATH [--format text|json|sarif] [--rules R1,R4] [--output FILE] [--fix]``.

Exit codes: 0 nothing blocking, 1 at least one blocking finding, 2 usage error or unreadable path.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from architect_k.audit.engine import run_audit
from architect_k.audit.registry import RegistryError
from architect_k.audit.repo import RepoError
from architect_k.audit.report import RENDERERS, to_text
from architect_k.cliargs import Parser, UsageError
from architect_k.fsutil import write_atomic


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for docs and tests)."""
    parser = Parser(
        prog="architect-k audit",
        description="Audit an ML repository against rules R1-R12 (scar_ledger/rules.yaml).",
    )
    parser.add_argument("path", help="repository directory (or single file) to audit")
    parser.add_argument(
        "--format", choices=sorted(RENDERERS), default="text", help="output format (default: text)"
    )
    parser.add_argument(
        "--rules", default=None, help="comma-separated rule ids to run, e.g. R1,R4 (default: all)"
    )
    parser.add_argument(
        "--output",
        "-o",
        default=None,
        help="write the report to FILE (atomically) instead of stdout",
    )
    parser.add_argument(
        "--fix",
        action="store_true",
        help="R2: redact literal credentials into secretKeyRef / os.environ",
    )
    return parser


def _colour_terminal() -> bool:
    """Colour only for a person at a terminal; NO_COLOR (no-color.org) turns it off."""
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def main(argv: Sequence[str]) -> int:
    """Run the audit command line; returns the exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(list(argv))
        rules = args.rules.split(",") if args.rules is not None else None
        fixes = []
        if args.fix:
            from architect_k.audit.fix import fix_credentials

            fixes = fix_credentials(args.path)
        result = run_audit(args.path, rules=rules)
        result.fixes = fixes
    except UsageError as exc:
        sys.stderr.write(exc.usage)
        sys.stderr.write(f"architect-k audit: error: {exc}\n")
        return 2
    except (RepoError, RegistryError) as exc:
        sys.stderr.write(f"architect-k audit: error: {exc}\n")
        return 2
    except SystemExit as exc:  # argparse --help
        return int(exc.code or 0) if isinstance(exc.code, int) else 0
    if args.format == "text" and not args.output and _colour_terminal():
        rendered = to_text(result, colour=True)
    else:
        rendered = RENDERERS[args.format](result)
    if args.output:
        try:
            write_atomic(Path(args.output), rendered)
        except OSError as exc:
            sys.stderr.write(f"architect-k audit: error: cannot write {args.output}: {exc}\n")
            return 2
    else:
        sys.stdout.write(rendered)
    return result.exit_code

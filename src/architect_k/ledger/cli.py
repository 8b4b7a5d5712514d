"""``architect-k ledger``: verify, match, mint, debride and reflect on the Scar Ledger.

Exit codes: 0 ok; 1 the ledger is tampered (or a check blocks); 2 bad or unreadable input.
Errors are one line on stderr naming the file, the line and the fix; never a traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from architect_k.cliargs import Parser, UsageError
from architect_k.ledger.chain import current, load, mint, parse_json, verify
from architect_k.ledger.debride import debride
from architect_k.ledger.errors import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    EXIT_TAMPERED,
    InvalidScarError,
    LedgerError,
)
from architect_k.ledger.match import rank
from architect_k.ledger.reflect import LOCAL_LEDGER, REPORT_NAME, reflect
from architect_k.ledger.schema import (
    FIELD_ORDER,
    OPTIONAL_FIELDS,
    SEALED_FIELDS,
    parse_timestamp,
)

PROG = "architect-k ledger"


def default_ledger() -> Path:
    """The shared Scar Ledger shipped with architect-k."""
    from architect_k import SCAR_LEDGER_DIR

    return SCAR_LEDGER_DIR / "scars.jsonl"


def _timestamp(value: str) -> datetime:
    try:
        return parse_timestamp(value)
    except ValueError as error:
        raise argparse.ArgumentTypeError(
            f"{value!r} is not a UTC timestamp like 2025-08-04T16:33:01Z"
        ) from error


def _parser() -> Parser:
    parser = Parser(prog=PROG, description="Verify, search and grow the Nitinol Scar Ledger.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    check = commands.add_parser("verify", help="check the hash chain and every entry")
    check.add_argument("path", nargs="?", type=Path, help="ledger file (default: shared ledger)")
    check.add_argument("--base", type=Path, help="ledger this one overlays (for a local ledger)")
    check.add_argument("--head", help="an entry_hash that must still be in the chain")
    check.add_argument("--format", choices=("text", "json"), default="text")

    find = commands.add_parser("match", help="rank scars by similarity to a context")
    find.add_argument("context", help="tokens joined by → or ->, e.g. pytorch->DDP->gpu")
    find.add_argument("--ledger", type=Path, help="ledger file (default: shared ledger)")
    find.add_argument("--format", choices=("text", "json"), default="text")
    find.add_argument("--top", type=int, default=0, help="show only the best N (0: all)")

    new = commands.add_parser("mint", help="append a new scar (encoding and hashes computed)")
    new.add_argument("--ledger", type=Path, help="ledger file (default: shared ledger)")
    new.add_argument("--from-json", type=Path, help="a JSON object with the scar's fields")
    new.add_argument("--scar-id", help="default: the next free SCA-NNNN")
    new.add_argument("--timestamp", dest="timestamp_utc", help="default: now (UTC)")
    new.add_argument("--failure-taxonomy")
    new.add_argument("--failure-subtype")
    new.add_argument("--context", dest="context_vector")
    new.add_argument("--severity", choices=("P0", "P1", "P2", "P3"))
    new.add_argument("--impact", dest="production_impact")
    new.add_argument("--immune-response")
    new.add_argument("--radius", dest="fipi_deflection_radius", type=float)
    new.add_argument("--ttl-days", dest="debridement_ttl_days", type=int)
    new.add_argument("--linked-rule", help="rule id such as R4, or 'none'")

    prune = commands.add_parser("debride", help="prune expired, weak, rule-less scars")
    prune.add_argument("--ledger", type=Path, help="ledger file (default: shared ledger)")
    prune.add_argument("--base", type=Path, help="ledger this one overlays (for a local ledger)")
    prune.add_argument("--now", type=_timestamp, help="evaluate expiry at this UTC time")
    prune.add_argument("--dry-run", action="store_true", help="report, do not rewrite")
    prune.add_argument("--report", type=Path, help="also write the JSON report here")
    prune.add_argument("--format", choices=("text", "json"), default="text")

    learn = commands.add_parser("reflect", help="mint or reinforce scars from PSI reports/CI logs")
    learn.add_argument("repo", type=Path, help="the generated repository")
    learn.add_argument("--psi", type=Path, action="append", default=[], help="PSI report JSON")
    learn.add_argument("--ci-log", type=Path, action="append", default=[], help="CI log text")
    learn.add_argument("--ledger", type=Path, help="shared ledger (default: architect-k's)")
    learn.add_argument("--local", type=Path, help=f"local ledger (default: REPO/{LOCAL_LEDGER})")
    learn.add_argument("--report", type=Path, help=f"report path (default: REPO/{REPORT_NAME})")
    learn.add_argument("--now", type=_timestamp, help="record at this UTC time")
    return parser


def _emit(stream: TextIO, text: str) -> None:
    stream.write(text if text.endswith("\n") else text + "\n")


def _verify(args: argparse.Namespace) -> int:
    path: Path = args.path or default_ledger()
    base = load(args.base) if args.base else []
    result = verify(path, base=base, expect=args.head)
    if args.format == "json":
        payload: dict[str, Any] = {
            "ledger": str(path),
            "ok": result.ok,
            "entries": len(result.entries),
            "head": result.head,
            "problem": None,
        }
        if result.problem is not None:
            problem = result.problem
            payload["problem"] = {
                "line": problem.line,
                "kind": problem.kind,
                "detail": problem.detail,
            }
        _emit(sys.stdout, json.dumps(payload, indent=2, ensure_ascii=False))
    elif result.problem is None:
        _emit(sys.stdout, f"ok: {path}: {len(result.entries)} entries, head {result.head}")
    if result.problem is not None:
        _emit(
            sys.stderr,
            f"TAMPERED {path}: {result.problem.describe()}. Restore the ledger from version "
            "control; never edit it by hand (use `architect-k ledger mint`).",
        )
        return EXIT_TAMPERED
    return EXIT_OK


def _match(args: argparse.Namespace) -> int:
    path: Path = args.ledger or default_ledger()
    scars = current(load(path)).values()
    try:
        matches = rank(args.context, scars)
    except ValueError as error:
        _emit(sys.stderr, f"{PROG} match: {error}")
        return EXIT_BAD_INPUT
    if args.top > 0:
        matches = matches[: args.top]
    if args.format == "json":
        _emit(sys.stdout, json.dumps([m.as_json() for m in matches], indent=2, ensure_ascii=False))
        return EXIT_OK
    for m in matches:
        scar = m.scar
        _emit(
            sys.stdout,
            f"{scar.scar_id}  similarity {m.similarity:+.3f}  radius "
            f"{scar.fipi_deflection_radius:.2f}  {scar.linked_rule or '-':>4}  "
            f"{scar.failure_taxonomy}/{scar.failure_subtype}  {scar.context_vector}",
        )
    return EXIT_OK


#: What `mint` takes from options or a JSON file: every field but the computed and superseding.
_MINT_OPTIONS = tuple(
    name for name in FIELD_ORDER if name not in SEALED_FIELDS and name not in OPTIONAL_FIELDS
)


def _mint(args: argparse.Namespace) -> int:
    path: Path = args.ledger or default_ledger()
    fields: dict[str, Any] = {}
    if args.from_json is not None:
        try:
            data = parse_json(args.from_json.read_text(encoding="utf-8"))
        except OSError as error:
            raise InvalidScarError(f"{args.from_json}: cannot read ({error.strerror})") from error
        except ValueError as error:
            raise InvalidScarError(f"{args.from_json}: not valid JSON ({error})") from error
        if not isinstance(data, dict):
            raise InvalidScarError(f"{args.from_json}: expected a JSON object of scar fields")
        fields.update(data)
    for name in _MINT_OPTIONS:
        value = getattr(args, name)
        if value is not None:
            fields[name] = value
    if fields.get("linked_rule") in {"none", "null", ""}:
        fields["linked_rule"] = None
    scar = mint(path, fields)
    _emit(
        sys.stdout,
        f"minted {scar.scar_id} into {path} (line {scar.line}): "
        f"{scar.martensite_phase_encoding}, entry_hash {scar.entry_hash}",
    )
    return EXIT_OK


def _debride(args: argparse.Namespace) -> int:
    path: Path = args.ledger or default_ledger()
    base = load(args.base) if args.base else []
    report = debride(path, now=args.now, dry_run=args.dry_run, base=base)
    payload = report.as_json()
    if args.report is not None:
        args.report.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if args.format == "json":
        _emit(sys.stdout, json.dumps(payload, indent=2))
        return EXIT_OK
    verb = "would prune" if args.dry_run else "pruned"
    if not report.pruned:
        _emit(sys.stdout, f"debride {path}: nothing to prune ({report.entries_before} entries)")
    else:
        ids = ", ".join(item["scar_id"] for item in report.pruned)
        _emit(
            sys.stdout,
            f"debride {path}: {verb} {ids}; {report.entries_before} → {report.entries_after} "
            f"entries; head {report.head_before[:12]}… → {report.head_after[:12]}…",
        )
    return EXIT_OK


def _reflect(args: argparse.Namespace) -> int:
    payload = reflect(
        args.repo,
        psi_reports=args.psi,
        ci_logs=args.ci_log,
        ledger=args.ledger or default_ledger(),
        local=args.local,
        report=args.report,
        now=args.now,
    )
    for record in payload["observations"]:
        before = record["radius_before"]
        change = (
            f"radius {before:.2f} → {record['radius_after']:.2f}"
            if before is not None
            else f"new, radius {record['radius_after']:.2f}"
        )
        _emit(
            sys.stdout,
            f"{record['action']} {record['scar_id']} ({record['linked_rule'] or 'no rule'}): "
            f"{record['failure_taxonomy']}/{record['failure_subtype']}, {change} — "
            f"{record['evidence']}",
        )
    report = args.report or args.repo / REPORT_NAME
    _emit(sys.stdout, f"report: {report}")
    return EXIT_OK


_COMMANDS = {
    "verify": _verify,
    "match": _match,
    "mint": _mint,
    "debride": _debride,
    "reflect": _reflect,
}


def main(argv: Sequence[str]) -> int:
    """Run ``architect-k ledger`` with ``argv`` (the words after ``ledger``); returns the exit
    code."""
    parser = _parser()
    try:
        args = parser.parse_args(list(argv))
    except UsageError as error:
        _emit(sys.stderr, f"{error.prog}: {error}\n{parser.format_usage().rstrip()}")
        return EXIT_BAD_INPUT
    except SystemExit as exit_:
        # --help and --version exit through argparse with a code of their own.
        return exit_.code if isinstance(exit_.code, int) else EXIT_OK
    try:
        return _COMMANDS[args.command](args)
    except LedgerError as error:
        kind = "TAMPERED" if error.exit_code == EXIT_TAMPERED else "error"
        _emit(sys.stderr, f"{PROG} {args.command}: {kind}: {error}")
        return error.exit_code
    except OSError as error:
        _emit(sys.stderr, f"{PROG} {args.command}: error: {error}")
        return EXIT_BAD_INPUT

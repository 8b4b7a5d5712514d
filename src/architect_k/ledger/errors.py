"""Errors raised by the Scar Ledger, each carrying the exit code the CLI turns it into."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_TAMPERED = 1
EXIT_BAD_INPUT = 2


@dataclass(frozen=True)
class Problem:
    """The first thing wrong with a ledger: 1-based line number, kind, and what was found."""

    line: int
    kind: str
    detail: str

    def describe(self) -> str:
        """One line naming the line number, the kind of damage and the evidence."""
        where = f"line {self.line}" if self.line > 0 else "last line"
        return f"{where}: {self.kind}: {self.detail}"


class LedgerError(Exception):
    """Base of every ledger failure; ``exit_code`` is what the CLI returns for it."""

    exit_code = EXIT_BAD_INPUT


class LedgerUnreadableError(LedgerError):
    """The ledger (or another input) cannot be read at all: missing, a directory, no access."""

    exit_code = EXIT_BAD_INPUT


class InvalidScarError(LedgerError):
    """Fields handed to mint/revise break the scar schema or clash with the ledger."""

    exit_code = EXIT_BAD_INPUT


class LedgerTamperedError(LedgerError):
    """The ledger's hash chain or content does not hold; nothing may be appended to it."""

    exit_code = EXIT_TAMPERED

    def __init__(self, path: Path, problem: Problem) -> None:
        super().__init__(f"{path}: {problem.describe()}")
        self.path = path
        self.problem = problem

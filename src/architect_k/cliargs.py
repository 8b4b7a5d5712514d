"""Argument parsing for the `architect-k` commands: bad arguments raise, they never exit.

argparse prints and calls `sys.exit(2)` on a usage error; the commands instead catch
:class:`UsageError` in their `main()`, so each one words the message, returns its documented
exit code (2), and never shows a traceback. Standard library only: the audit's CI job installs
nothing but PyYAML and architect-k.
"""

from __future__ import annotations

import argparse
from typing import NoReturn


class UsageError(Exception):
    """Bad arguments on the command line (or an unknown rule id): exit 2, no traceback."""

    def __init__(self, message: str, *, prog: str = "", usage: str = "") -> None:
        super().__init__(message)
        #: The (sub)command the arguments were given to, and its usage line; empty when the
        #: error was found after parsing.
        self.prog = prog
        self.usage = usage


class Parser(argparse.ArgumentParser):
    """argparse whose usage errors raise :class:`UsageError` instead of exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message, prog=self.prog, usage=self.format_usage())

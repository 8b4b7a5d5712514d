"""Migrations that `copier update` runs when a release renames an answer or moves a file.

Declared in copier.yml under `_migrations` with the release that needs them, e.g.

    _migrations:
      - version: v1.1.0
        when: "{{ _stage == 'before' }}"
        command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/migrate.py",
                  "rename-answer", "old_name", "new_name"]

Copier runs a migration only on updates that cross its version, in the service's directory,
before the new answers are read. Each operation is idempotent: copier may call it again on a
project already migrated, and then it changes nothing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import yaml

# Copier runs this file with its own interpreter; the package comes from this template's src/,
# as in hooks/extensions.py, so a pipx-installed copier needs no architect-k of its own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from architect_k.fsutil import write_atomic

ANSWERS_FILE = Path(".copier-answers.yml")


def rename_answer(old: str, new: str, answers_file: Path = ANSWERS_FILE) -> bool:
    """Rename an answer in the answers file, keeping its order; returns whether it changed."""
    answers = yaml.safe_load(answers_file.read_text(encoding="utf-8")) or {}
    if old not in answers:
        return False
    if new in answers:
        raise SystemExit(
            f"migrate: both {old!r} and {new!r} are answered in {answers_file}; "
            f"keep one and run the update again"
        )
    renamed = {new if key == old else key: value for key, value in answers.items()}
    header = "".join(
        line for line in answers_file.read_text("utf-8").splitlines(True) if line.startswith("#")
    )
    text = header + yaml.safe_dump(renamed, sort_keys=False, allow_unicode=True)
    write_atomic(answers_file, text)
    return True


def move_file(old: Path, new: Path) -> bool:
    """Move a file the template renamed, with `git mv` so history follows; idempotent."""
    if not old.exists():
        return False
    if new.exists():
        raise SystemExit(
            f"migrate: both {old} and {new} exist; merge them by hand and update again"
        )
    new.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "mv", str(old), str(new)], check=True)
    return True


def main(argv: Sequence[str] | None = None) -> int:
    """Run one migration operation in the current directory (the service being updated)."""
    parser = argparse.ArgumentParser(prog="migrate.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rename = commands.add_parser("rename-answer", help="rename a key of .copier-answers.yml")
    rename.add_argument("old")
    rename.add_argument("new")
    move = commands.add_parser("move-file", help="git mv a file the template moved")
    move.add_argument("old", type=Path)
    move.add_argument("new", type=Path)
    args = parser.parse_args(argv)
    if args.command == "rename-answer":
        changed = rename_answer(args.old, args.new)
    else:
        changed = move_file(args.old, args.new)
    state = "done" if changed else "already applied"
    print(f"migrate: {args.command} {args.old} -> {args.new}: {state}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

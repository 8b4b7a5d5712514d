"""Migrations that `copier update` runs when a release renames an answer or retires a file.

Declared in copier.yml under `_migrations` with the release that needs them, e.g.

    _migrations:
      - version: v1.1.0
        when: "{{ _stage == 'before' }}"
        command: ["{{ _copier_python }}", "{{ _copier_conf.src_path }}/hooks/migrate.py",
                  "rename-answer", "old_name", "new_name"]

and `retire-files --move OLD NEW... [--move OLD NEW...]` in the `after` stage, one migration
per release that moves files (copier.yml's v0.2.0 entry).

Copier runs a migration only on updates that cross its version, in the service's directory.
Each operation is idempotent: copier may call it again on a project already migrated, and then
it changes nothing.
"""

from __future__ import annotations

import argparse
import difflib
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache, partial
from pathlib import Path

import yaml

# Copier runs this file with its own interpreter; the package comes from this template's src/,
# as in hooks/extensions.py, so a pipx-installed copier needs no architect-k of its own.
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from architect_k.fsutil import write_atomic

ANSWERS_FILE = Path(".copier-answers.yml")
#: Lines of unchanged code around an edit that must match for it to be carried (as in diff -u).
CONTEXT_LINES = 3
#: How far (in spaces) an edit may have moved sideways: a split turns a loop body into a
#: function's, or the reverse, and the moved lines still match one for one.
INDENT_SHIFTS = (0, -4, 4, -8, 8)


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


@dataclass(frozen=True)
class Edit:
    """One hunk of the team's changes to a retired file: `before` becomes `after`, each with
    up to CONTEXT_LINES unchanged lines around the change; `first`/`last` number the team's
    lines it spans."""

    before: list[str]
    after: list[str]
    first: int
    last: int

    @property
    def lines(self) -> str:
        """Where the edit stands in the team's file, as a reader would say it."""
        return (
            f"line {self.first}" if self.first == self.last else f"lines {self.first}-{self.last}"
        )


def _edits(pristine: str, team: str) -> list[Edit]:
    old, new = pristine.splitlines(keepends=True), team.splitlines(keepends=True)
    # autojunk off: in a long module, blank lines would otherwise count as junk and be mispaired.
    matcher = difflib.SequenceMatcher(None, old, new, autojunk=False)
    edits = []
    for group in matcher.get_grouped_opcodes(CONTEXT_LINES):
        changed = [opcode for opcode in group if opcode[0] != "equal"]
        first, last = changed[0][3] + 1, changed[-1][4]
        before, after = old[group[0][1] : group[-1][2]], new[group[0][3] : group[-1][4]]
        edits.append(Edit(before, after, first, max(first, last)))
    return edits


def _shifted(block: list[str], shift: int) -> list[str] | None:
    """`block` indented `shift` more spaces (blank lines kept); None if it cannot dedent."""
    if shift >= 0:
        return [" " * shift + line if line.strip() else line for line in block]
    if any(line.strip() and not line.startswith(" " * -shift) for line in block):
        return None
    return [line[-shift:] if line.strip() else line for line in block]


def _found(block: list[str], modules: dict[Path, list[str]]) -> list[tuple[Path, int, int]]:
    """Where `block` stands in `modules`, line for line, at any of INDENT_SHIFTS: (module,
    first line, shift)."""
    places = []
    for shift in INDENT_SHIFTS:
        shifted = _shifted(block, shift)
        if not block or shifted is None:
            continue
        size = len(shifted)
        places += [
            (path, start, shift)
            for path, lines in modules.items()
            for start in range(len(lines) - size + 1)
            if lines[start : start + size] == shifted
        ]
    return places


def _carry(edit: Edit, modules: dict[Path, list[str]]) -> Path | None:
    """Apply `edit` where its lines and context stand exactly once among `modules`; returns the
    module that holds it (also when a previous run carried it), or None when none does: a
    context found twice could be either copy, so it is not guessed."""
    places = _found(edit.before, modules)
    if len(places) == 1:
        path, start, shift = places[0]
        after = _shifted(edit.after, shift)
        if after is None:
            return None
        modules[path][start : start + len(edit.before)] = after
        return path
    carried = _found(edit.after, modules)
    if not places and len(carried) == 1:
        return carried[0][0]
    return None


def _git(*args: str, stdin: bytes | None = None) -> bytes:
    return subprocess.run(["git", *args], input=stdin, capture_output=True, check=True).stdout


def _at_head(path: Path) -> str | None:
    """The committed text of `path` (relative to the current directory), None if absent."""
    shown = subprocess.run(["git", "show", f"HEAD:./{path.as_posix()}"], capture_output=True)
    return shown.stdout.decode("utf-8") if shown.returncode == 0 else None


def _render_previous_release(scratch: Path) -> Path:
    """Render, into `scratch`, what the release recorded in the committed answers file rendered
    for this service; returns the rendered tree.

    A fresh interpreter renders it: this one imported architect_k from the new release, and the
    old release's Jinja extensions must import their own.
    """
    answers = yaml.safe_load(_at_head(ANSWERS_FILE) or "") or {}
    data = {key: value for key, value in answers.items() if not key.startswith("_")}
    data_file = scratch / "answers.yml"
    data_file.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), "utf-8")
    render = scratch / "render"
    copy = [sys.executable, "-m", "copier", "copy", "--trust", "--defaults", "--quiet"]
    options = ["--skip-tasks", "--vcs-ref", str(answers["_commit"])]
    sources = ["--data-file", str(data_file), str(answers["_src_path"]), str(render)]
    rendered = subprocess.run([*copy, *options, *sources], capture_output=True, text=True)
    if rendered.returncode:
        raise SystemExit(
            f"migrate: retire-files: cannot render the previous release {answers['_commit']} "
            f"to compare with:\n{rendered.stderr[-2000:]}"
        )
    return render


def _stages(path: Path) -> set[str]:
    listed = _git("ls-files", "--stage", "--", str(path)).decode().splitlines()
    return {line.split()[2] for line in listed}


def _keep_as_deleted_by_them(path: Path, pristine: str, team: str) -> None:
    """Put `path` back with the team's text, in git's modify/delete conflict: base (stage 1)
    the previous release's text, ours (stage 2) the team's, no theirs (the release deleted it),
    so `git status` says "deleted by them" until the team resolves it."""
    mode, _, _, full_path = (
        _git("ls-tree", "--full-name", "HEAD", "--", str(path)).decode().split(maxsplit=3)
    )
    full_path = full_path.rstrip("\n")
    blobs = [
        _git("hash-object", "-w", "--stdin", stdin=text.encode()).decode().strip()
        for text in (pristine, team)
    ]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(team, encoding="utf-8")
    index = [f"0 {'0' * 40}\t{full_path}"]
    index += [
        f"{mode} {blob} {stage}\t{full_path}" for stage, blob in zip("12", blobs, strict=True)
    ]
    _git("update-index", "--index-info", stdin="\n".join(index).encode())


def _modules(into: Sequence[Path]) -> Iterator[Path]:
    for target in into:
        if target.is_dir():
            yield from sorted(
                p for p in target.rglob("*") if p.is_file() and "__pycache__" not in p.parts
            )
        elif target.is_file():
            yield target


def retire_file(old: Path, into: Sequence[Path], previous_release: Callable[[], Path]) -> str:
    """Retire `old`, a file the release no longer renders, carrying the team's edits of it
    into `into` (files, or folders standing for every file in them); returns the outcome.

    Runs after copier's update, which deletes such a file whether or not the team edited it.
    The team's text is HEAD's; the pristine one is what the previous release rendered (the tree
    `previous_release` returns; empty if it has no such file, so that every line is the team's).
    Each edit whose lines and context stand exactly once in the new modules is applied there.
    If any is left, `old` comes back with the team's text as a modify/delete conflict.
    """
    team = _at_head(old)
    if team is None:
        return "not in this service"
    if old.exists() and _stages(old) != {"1", "2"}:
        return "still rendered by this release; nothing retired"
    rendered = previous_release() / old
    pristine = rendered.read_text(encoding="utf-8") if rendered.is_file() else ""
    if pristine == team:
        old.unlink(missing_ok=True)
        return "unedited; removed"
    modules = {path: path.read_text(encoding="utf-8").splitlines(True) for path in _modules(into)}
    originals = {path: list(lines) for path, lines in modules.items()}
    edits = _edits(pristine, team)
    landed = [(edit, _carry(edit, modules)) for edit in edits]
    for path, lines in modules.items():
        if lines != originals[path]:
            write_atomic(path, "".join(lines))
    report = [
        f"  {edit.lines}: "
        + (
            f"carried into {path}"
            if path
            else "left here: its code is not found once in the new modules"
        )
        for edit, path in landed
    ]
    left = sum(path is None for _, path in landed)
    if not left:
        old.unlink(missing_ok=True)
        return "\n".join([f"{len(edits)} edit(s) carried over; removed", *report])
    _keep_as_deleted_by_them(old, pristine, team)
    return "\n".join(
        [
            f"CONFLICT: {left} of {len(edits)} edit(s) not carried over",
            *report,
            f"  Its code moved to: {', '.join(str(target) for target in into)}",
            "  Kept with your edits as a conflict (git status: deleted by them).",
            f"  Fix: move the edits left into the new modules, then `git rm {old}`.",
        ]
    )


def retire_files(moves: Sequence[Sequence[Path]]) -> Iterator[tuple[Path, str]]:
    """Retire each `[OLD, NEW...]` of `moves` (see `retire_file`), yielding (OLD, outcome); the
    previous release is rendered once, and only if some moved file needs comparing."""
    with tempfile.TemporaryDirectory(prefix="architect-k-previous.") as scratch:
        previous_release = cache(partial(_render_previous_release, Path(scratch)))
        for old, *into in moves:
            yield old, retire_file(old, into, previous_release)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one migration operation in the current directory (the service being updated)."""
    parser = argparse.ArgumentParser(prog="migrate.py", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    rename = commands.add_parser("rename-answer", help="rename a key of .copier-answers.yml")
    rename.add_argument("old")
    rename.add_argument("new")
    retire = commands.add_parser(
        "retire-files", help="after the update: carry the team's edits of moved files over"
    )
    retire.add_argument(
        "--move",
        nargs="+",
        type=Path,
        action="append",
        required=True,
        metavar="PATH",
        help="OLD NEW...: a file this release no longer renders, then where its code went",
    )
    args = parser.parse_args(argv)
    if args.command == "rename-answer":
        state = "done" if rename_answer(args.old, args.new) else "already applied"
        print(f"migrate: rename-answer {args.old} -> {args.new}: {state}", file=sys.stderr)
        return 0
    if any(len(move) < 2 for move in args.move):
        retire.error("--move needs the old file and at least one new place for its code")
    for old, outcome in retire_files(args.move):
        print(f"migrate: retire-file {old}: {outcome}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

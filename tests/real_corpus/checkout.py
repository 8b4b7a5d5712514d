"""Check the real-world corpus (repos.yaml) out into .corpus/<name>/ at the recorded commits.

    python tests/real_corpus/checkout.py [--mirror DIR] [--dest DIR]

For each repository a bare git directory is looked for under ``--mirror`` (layouts
``<owner>+<name>/repo`` or ``<name>.git``); without one the repository is cloned from its
``url``. The tree at the recorded commit is written out blob by blob (no .git inside, so the
audit sees exactly the files a user's checkout holds). A mirror may lack its largest blobs
(images, archives); those are counted and named in the status line, not fatal. Existing
checkouts are left alone.
This is the only step that may touch the network; the scorer never does.
"""

from __future__ import annotations

import argparse
import io
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


def _mirror_for(mirror: Path | None, url: str, name: str) -> Path | None:
    if mirror is None:
        return None
    owner, repo = url.rstrip("/").split("/")[-2:]
    for cand in (mirror / f"{owner}+{repo}" / "repo", mirror / f"{name}.git"):
        if (cand / "HEAD").is_file() or (cand / "objects").is_dir():
            return cand
    return None


class CheckoutError(Exception):
    """A repository that could not be brought: the message names it and what to do."""


def _git(args: list[str], what: str, **kwargs: Any) -> bytes:
    """Run git; a failure becomes a CheckoutError that says what was attempted and git's words."""
    try:
        done = subprocess.run(args, check=True, capture_output=True, **kwargs)
    except subprocess.CalledProcessError as error:
        words = error.stderr.decode(errors="replace").strip().splitlines()
        reason = words[-1] if words else f"exit {error.returncode}"
        raise CheckoutError(f"{what} failed ({reason})") from error
    stdout: bytes = done.stdout
    return stdout


def checkout(entry: dict[str, str], mirror: Path | None, dest: Path) -> str:
    """Export one repository; returns a one-line status, or raises CheckoutError."""
    name, url, commit = entry["name"], entry["url"], entry["commit"]
    target = dest / name
    if target.is_dir() and any(target.iterdir()):
        return f"{name}: present"
    gitdir = _mirror_for(mirror, url, name)
    if gitdir is None:
        gitdir = dest / ".git-cache" / f"{name}.git"
        if not gitdir.is_dir():
            # Where the network reaches only package registries, this is where it stops: the
            # mirror has to be brought another way (here, the library's fetch tool).
            _git(
                ["git", "clone", "--bare", "--quiet", url, str(gitdir)],
                f"no mirror of {name}{f' under {mirror}' if mirror else ''}, and cloning {url}",
            )
    git = ["git", "--git-dir", str(gitdir)]
    listing = _git(
        [*git, "ls-tree", "-r", "-z", commit], f"reading commit {commit[:12]} of {name} in {gitdir}"
    ).split(b"\0")
    blobs: list[tuple[str, str]] = []
    for row in filter(None, listing):
        meta, _, path = row.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob" and mode != "120000":  # symlinks are not followed by the audit
            blobs.append((sha, path.decode()))
    batch = _git(
        [*git, "cat-file", "--batch"],
        f"reading the files of {name} from {gitdir}",
        input=b"".join(f"{sha}\n".encode() for sha, _ in blobs),
    )
    stream = io.BytesIO(batch)
    missing: list[str] = []
    # Written beside the target and renamed at the end: an interrupted export must not leave a
    # half tree that the next run takes for a present checkout.
    partial = dest / f".{name}.part"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for _sha, path in blobs:
        header = stream.readline().split()
        if header[-1] == b"missing":
            missing.append(path)
            continue
        data = stream.read(int(header[2]))
        stream.read(1)
        out = partial / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    shutil.rmtree(target, ignore_errors=True)  # an empty folder, if any (see above)
    partial.rename(target)
    note = f"; {len(missing)} blob(s) absent from the mirror" if missing else ""
    return f"{name}: {len(blobs) - len(missing)} files at {commit[:12]} from {gitdir}{note}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--dest", type=Path, default=ROOT / ".corpus")
    args = parser.parse_args(argv)
    mirror = args.mirror if args.mirror.is_dir() else None
    if mirror is None:
        print(f"no mirror directory at {args.mirror}: cloning from the network", file=sys.stderr)
    entries = yaml.safe_load((HERE / "repos.yaml").read_text(encoding="utf-8"))["repos"]
    failed = 0
    for entry in entries:
        try:
            print(checkout(entry, mirror, args.dest))
        except CheckoutError as error:
            failed += 1
            print(f"{entry['name']}: not checked out: {error}", file=sys.stderr)
    if failed:
        print(
            f"{failed} of {len(entries)} repositories could not be checked out into {args.dest}; "
            "bring their mirrors (tests/real_corpus/README.md) and run this again",
            file=sys.stderr,
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

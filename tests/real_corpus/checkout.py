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
import subprocess
import sys
from pathlib import Path

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


def checkout(entry: dict[str, str], mirror: Path | None, dest: Path) -> str:
    """Export one repository; returns a one-line status."""
    name, url, commit = entry["name"], entry["url"], entry["commit"]
    target = dest / name
    if target.is_dir() and any(target.iterdir()):
        return f"{name}: present"
    gitdir = _mirror_for(mirror, url, name)
    if gitdir is None:
        gitdir = dest / ".git-cache" / f"{name}.git"
        if not gitdir.is_dir():
            subprocess.run(["git", "clone", "--bare", "--quiet", url, str(gitdir)], check=True)
    git = ["git", "--git-dir", str(gitdir)]
    listing = subprocess.run(
        [*git, "ls-tree", "-r", "-z", commit], check=True, capture_output=True
    ).stdout.split(b"\0")
    blobs: list[tuple[str, str]] = []
    for row in filter(None, listing):
        meta, _, path = row.partition(b"\t")
        mode, kind, sha = meta.decode().split()
        if kind == "blob" and mode != "120000":  # symlinks are not followed by the audit
            blobs.append((sha, path.decode()))
    batch = subprocess.run(
        [*git, "cat-file", "--batch"],
        input=b"".join(f"{sha}\n".encode() for sha, _ in blobs),
        check=True,
        capture_output=True,
    ).stdout
    stream = io.BytesIO(batch)
    missing: list[str] = []
    for _sha, path in blobs:
        header = stream.readline().split()
        if header[-1] == b"missing":
            missing.append(path)
            continue
        data = stream.read(int(header[2]))
        stream.read(1)
        out = target / path
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_bytes(data)
    note = f"; {len(missing)} blob(s) absent from the mirror" if missing else ""
    return f"{name}: {len(blobs) - len(missing)} files at {commit[:12]} from {gitdir}{note}"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=Path("/work/.mirror"))
    parser.add_argument("--dest", type=Path, default=ROOT / ".corpus")
    args = parser.parse_args(argv)
    mirror = args.mirror if args.mirror.is_dir() else None
    entries = yaml.safe_load((HERE / "repos.yaml").read_text(encoding="utf-8"))["repos"]
    for entry in entries:
        print(checkout(entry, mirror, args.dest))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""Render time of one example vs copier rendering a one-file template, in the same run.

    .venv/bin/python bench/render/run.py [--repeats 5] [--example examples/churn.yml]

Both go through the `copier copy` command a user runs (interpreter start, git clone of the
template, render, tasks), so the ratio is what our questions, Jinja extension, FIPI and
post-render audit add on top of copier itself. Prints one JSON line.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
COPIER = str(Path(sys.executable).with_name("copier"))


def _one_file_template(root: Path) -> Path:
    template = root / "one-file-template"
    template.mkdir()
    (template / "copier.yml").write_text("name:\n  type: str\n  default: demo\n", "utf-8")
    (template / "README.md.jinja").write_text("# {{ name }}\n", "utf-8")
    for command in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "one file"]):
        subprocess.run(
            ["git", "-c", "user.name=b", "-c", "user.email=b@b", *command], cwd=template, check=True
        )
    return template


def _time_render(template: Path, args: list[str], scratch: Path, repeats: int) -> list[float]:
    times = []
    for attempt in range(repeats):
        destination = scratch / f"out-{attempt}"
        started = time.perf_counter()
        subprocess.run(
            [
                COPIER,
                "copy",
                "--quiet",
                "--trust",
                "--defaults",
                "--vcs-ref",
                "HEAD",
                *args,
                str(template),
                str(destination),
            ],
            check=True,
            capture_output=True,
            stdin=subprocess.DEVNULL,
        )
        times.append(time.perf_counter() - started)
        shutil.rmtree(destination)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--example", type=Path, default=REPO_ROOT / "examples" / "churn.yml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch_dir:
        scratch = Path(scratch_dir)
        anchor = _time_render(_one_file_template(scratch), [], scratch, args.repeats)
        ours = _time_render(REPO_ROOT, ["--data-file", str(args.example)], scratch, args.repeats)
    result = {
        "example": args.example.name,
        "repeats": args.repeats,
        "ours_median_s": round(statistics.median(ours), 3),
        "one_file_template_median_s": round(statistics.median(anchor), 3),
        "ratio": round(statistics.median(ours) / statistics.median(anchor), 2),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Re-score the audit on the real-world corpus against the hand-judged expectations.

    python tests/real_corpus/score.py [--corpus DIR] [--show-unjudged]

Every finding of ``architect-k audit`` on each repository of repos.yaml is matched against
expectations.yaml: an entry names a repository, a rule, a path glob (``fnmatch``) and optionally
a substring of the verdict; the first matching entry (MISS entries first) gives the finding's
verdict (TP or FP; a finding on a MISS entry is a true positive that was missed before).
Entries with verdict MISS are real violations found by reading the code; an entry (TP or MISS)
counts as caught when at least one finding matches it. Prints per-rule precision and recall and
exits 1 when a target is missed or a finding has no judgement, 0 when all targets are met.
Fetches nothing: without the checkouts (see README.md) it says so and exits 0.
"""

from __future__ import annotations

import argparse
import fnmatch
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(ROOT / "src"))

from architect_k.audit.engine import run_audit  # noqa: E402
from architect_k.audit.model import Finding  # noqa: E402

RULE_PRECISION = 0.90
OVERALL_PRECISION = 0.95
MISSES_CAUGHT = 0.80
VERDICTS = frozenset({"TP", "FP", "MISS"})


@dataclass
class Expectation:
    """One hand judgement."""

    repo: str
    rule: str
    path: str
    verdict: str
    why: str
    match: str = ""
    line: str = ""
    hits: int = 0

    def covers(self, repo: str, finding: Finding) -> bool:
        """True when this judgement is about ``finding``."""
        return (
            self.repo == repo
            and self.rule == finding.rule.id
            and fnmatch.fnmatchcase(finding.path, self.path)
            and self.match in finding.verdict
            and (not self.line or finding.line == int(self.line))
        )


@dataclass
class Tally:
    """Counts for one rule."""

    tp: int = 0
    fp: int = 0
    expected: int = 0
    caught: int = 0
    misses: int = 0
    misses_caught: int = 0
    unjudged: list[str] = field(default_factory=list)

    @property
    def precision(self) -> float | None:
        judged = self.tp + self.fp
        return self.tp / judged if judged else None

    @property
    def recall(self) -> float | None:
        return self.caught / self.expected if self.expected else None


def load_expectations(path: Path) -> list[Expectation]:
    """Parse and validate expectations.yaml; a malformed entry is an error naming it."""
    data: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    out: list[Expectation] = []
    for i, raw in enumerate(data.get("expectations") or []):
        missing = {"repo", "rule", "path", "verdict", "why"} - set(raw)
        if missing or raw["verdict"] not in VERDICTS:
            raise SystemExit(
                f"{path}: entry {i} {raw!r}: needs repo/rule/path/verdict/why, "
                f"verdict one of {sorted(VERDICTS)}"
            )
        out.append(Expectation(**{k: str(v) for k, v in raw.items()}))
    return out


def _fmt(value: float | None) -> str:
    return "  -  " if value is None else f"{value:.2f}"


def score(corpus: Path, expectations: list[Expectation], show_unjudged: bool) -> int:
    repos = yaml.safe_load((HERE / "repos.yaml").read_text(encoding="utf-8"))["repos"]
    present = [r["name"] for r in repos if (corpus / r["name"]).is_dir()]
    if not present:
        print(
            f"bench-audit-real: skipped, no corpus under {corpus}. "
            "Bring it with `python tests/real_corpus/checkout.py` (tests/real_corpus/README.md)."
        )
        return 0
    tallies: dict[str, Tally] = {}
    timings: list[str] = []
    false: list[str] = []
    for name in present:
        start = time.perf_counter()
        result = run_audit(corpus / name)
        elapsed = time.perf_counter() - start
        skipped = len(getattr(result, "skipped", []))  # absent before skips were reported
        timings.append(
            f"  {name}: {result.files_scanned} files, {len(result.findings)} findings, "
            f"{skipped} not read in full, {elapsed:.1f} s"
        )
        mine = [e for e in expectations if e.repo == name]
        for f in result.findings:
            tally = tallies.setdefault(f.rule.id, Tally())
            # A recorded miss is always more specific than the class judgements around it.
            ordered = sorted(mine, key=lambda e: e.verdict != "MISS")
            entry = next((e for e in ordered if e.covers(name, f)), None)
            if entry is None:
                tally.unjudged.append(f"{name} {f.rule.id} {f.path}:{f.line} {f.verdict}")
                continue
            entry.hits += 1
            if entry.verdict in {"TP", "MISS"}:  # a recorded miss, now caught
                tally.tp += 1
            else:
                tally.fp += 1
                false.append(f"{name} {f.rule.id} {f.path}:{f.line} {f.verdict} -- {entry.why}")
        for e in mine:
            if e.verdict in {"TP", "MISS"}:
                tally = tallies.setdefault(e.rule, Tally())
                tally.expected += 1
                tally.caught += e.hits > 0
                if e.verdict == "MISS":
                    tally.misses += 1
                    tally.misses_caught += e.hits > 0
    print("per-repository audit:")
    print("\n".join(timings))
    print(f"\n{'rule':<6}{'TP':>6}{'FP':>6}{'prec':>7}{'caught':>9}{'recall':>8}{'unjudged':>10}")
    total = Tally()
    failures: list[str] = []
    for rule in sorted(tallies, key=lambda r: int(r[1:])):
        t = tallies[rule]
        for attr in ("tp", "fp", "expected", "caught", "misses", "misses_caught"):
            setattr(total, attr, getattr(total, attr) + getattr(t, attr))
        total.unjudged += t.unjudged
        print(
            f"{rule:<6}{t.tp:>6}{t.fp:>6}{_fmt(t.precision):>7}"
            f"{f'{t.caught}/{t.expected}':>9}{_fmt(t.recall):>8}{len(t.unjudged):>10}"
        )
        if t.precision is not None and t.precision < RULE_PRECISION:
            failures.append(f"{rule} precision {t.precision:.2f} < {RULE_PRECISION}")
    print(
        f"{'all':<6}{total.tp:>6}{total.fp:>6}{_fmt(total.precision):>7}"
        f"{f'{total.caught}/{total.expected}':>9}{_fmt(total.recall):>8}{len(total.unjudged):>10}"
    )
    rate = total.misses_caught / total.misses if total.misses else 1.0
    print(f"recorded misses caught: {total.misses_caught}/{total.misses} ({rate:.0%})")
    if total.precision is not None and total.precision < OVERALL_PRECISION:
        failures.append(f"overall precision {total.precision:.2f} < {OVERALL_PRECISION}")
    if rate < MISSES_CAUGHT:
        failures.append(f"misses caught {rate:.0%} < {MISSES_CAUGHT:.0%}")
    if total.unjudged:
        failures.append(f"{len(total.unjudged)} finding(s) have no judgement in expectations.yaml")
        for line in total.unjudged[: None if show_unjudged else 20]:
            print(f"  unjudged: {line}")
    if show_unjudged:
        for line in false:
            print(f"  false: {line}")
    stale = [e for e in expectations if e.repo in present and e.verdict == "FP" and not e.hits]
    print(f"FP judgements no longer produced (fixed): {len(stale)}")
    for failure in failures:
        print(f"FAIL: {failure}")
    if not failures:
        print("PASS: every target met")
    return 1 if failures else 0


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT / ".corpus")
    parser.add_argument("--expectations", type=Path, default=HERE / "expectations.yaml")
    parser.add_argument(
        "--show-unjudged", action="store_true", help="list every unjudged and false finding"
    )
    args = parser.parse_args(argv)
    return score(args.corpus, load_expectations(args.expectations), args.show_unjudged)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

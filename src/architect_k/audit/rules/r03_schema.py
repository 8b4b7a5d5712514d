"""R3: data loaded from outside is schema-validated before any fit or DataLoader consumes it.

Loaded nodes come from reader calls (``pd.read_*``, ``np.load*``, ``load_dataset``, Spark
readers) or from repo helpers that return such data. A validation (Pandera ``schema.validate``
or ``schema(df)``, ``@pa.check_types`` functions, Great Expectations calls, any ``validate*``
helper) marks what it reads as validated. A fit/DataLoader whose input descends from a loaded
node with no validated descendant before it is a finding; helpers that fit their parameters are
followed from the call site.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from architect_k.audit.dataflow import (
    Event,
    Graph,
    HelperParams,
    build,
    resolve_function,
    scopes,
    tail,
)
from architect_k.audit.model import Hit, Rule
from architect_k.audit.pyast import FuncNode, PyModule, dotted
from architect_k.audit.repo import Repo

FIT_CALLS = frozenset({"fit", "fit_transform", "fit_predict", "partial_fit", "DataLoader"})
BOOSTER_TRAIN = frozenset({"xgboost", "lightgbm", "catboost"})
LOADER_CALLS = frozenset(
    {
        "load_dataset",
        "loadtxt",
        "genfromtxt",
        "fromfile",
        "load_from_disk",
        "read_table",
        "fetch_openml",
        "from_csv",
    }
)
VALIDATOR_ROOTS = frozenset({"pandera", "great_expectations", "gx", "pydantic"})
VALIDATING_DECORATORS = frozenset({"check_types", "check_input", "check_io", "validate_call"})


def _is_loader(ev: Event) -> bool:
    name = ev.name
    t = tail(ev)
    if t.startswith("read_") or t in LOADER_CALLS:
        return True
    if name in {"numpy.load", "np.load"}:
        return True
    # spark.read.csv(...) / spark.read.parquet(...)
    return (
        isinstance(ev.call.func, ast.Attribute)
        and isinstance(ev.call.func.value, ast.Attribute)
        and ev.call.func.value.attr == "read"
    )


def _is_validation(repo: Repo, g: Graph, ev: Event) -> bool:
    name = ev.name
    t = tail(ev).lower()
    if "validat" in t or t.startswith("expect_") or t in {"run_checkpoint", "check_schema"}:
        return True
    if name.split(".")[0] in VALIDATOR_ROOTS:
        return True
    callee = dotted(ev.call.func) or ""
    if "schema" in callee.lower():
        return True
    if t == "pipe" and any(
        "validat" in (dotted(a) or "").lower() or "schema" in (dotted(a) or "").lower()
        for a in ev.call.args
    ):
        return True
    hit = repo.resolve(g.mod, ev.call)
    if hit is not None and not isinstance(hit[1], ast.ClassDef):
        for deco in hit[1].decorator_list:
            target = deco.func if isinstance(deco, ast.Call) else deco
            if (dotted(target) or "").rpartition(".")[2] in VALIDATING_DECORATORS:
                return True
    return False


def _is_fit(ev: Event) -> bool:
    t = tail(ev)
    if t in FIT_CALLS:
        return True
    return t == "train" and ev.name.split(".")[0] in BOOSTER_TRAIN


def _fitted_unvalidated(repo: Repo, g: Graph) -> set[int]:
    """The parameters a helper fits on (or feeds a DataLoader) without validating them first."""
    fitted: set[int] = set()
    validated: set[int] = set()
    for ev in g.events:
        if _is_validation(repo, g, ev):
            validated |= g.params_of(ev.inputs)
        elif _is_fit(ev):
            fitted |= g.params_of(ev.inputs) - validated
    return fitted


class _Flow:
    """Per-scope loaded/validated analysis with memoised helper summaries."""

    def __init__(self, repo: Repo) -> None:
        self.repo = repo
        self.returns: dict[int, str] = {}
        self.fits = HelperParams(repo, lambda g: _fitted_unvalidated(repo, g))

    def analyse(
        self, mod: PyModule, scope: ast.Module | FuncNode
    ) -> tuple[Graph, set[int], list[tuple[int, set[int]]], list[tuple[Event, set[int]]]]:
        """``(graph, loaded roots, validations (seq, nodes), unvalidated fits)``."""
        g = build(mod, scope)
        loaded: set[int] = set()
        validated: list[tuple[int, set[int]]] = []
        bad: list[tuple[Event, set[int]]] = []
        for ev in g.events:
            if _is_loader(ev):
                loaded.add(ev.node)
            elif _is_validation(self.repo, g, ev):
                marks = set(ev.inputs)
                if ev.receiver is not None and tail(ev) == "pipe":
                    marks.add(ev.receiver)
                marks.add(ev.node)
                if tail(ev) in {"run_checkpoint", "run"} or not marks:
                    marks |= loaded
                validated.append((ev.seq, marks))
            else:
                status = self._helper_return(g, ev)
                if status != "none":
                    loaded.add(ev.node)
                    if status == "validated":
                        validated.append((ev.seq, {ev.node}))
            fitted = set(ev.inputs) if _is_fit(ev) else self.fits.at_call(g, ev)
            if fitted:
                unvalidated = self._unvalidated(g, fitted, loaded, validated, ev.seq)
                if unvalidated:
                    bad.append((ev, unvalidated))
        return g, loaded, validated, bad

    @staticmethod
    def _unvalidated(
        g: Graph, nodes: set[int], loaded: set[int], validated: list[tuple[int, set[int]]], seq: int
    ) -> set[int]:
        roots = g.ancestors(nodes) & loaded
        ok: set[int] = set()
        for vseq, marks in validated:
            if vseq < seq:
                ok |= g.ancestors(marks)
        return {r for r in roots if r not in ok}

    def _helper_return(self, g: Graph, ev: Event) -> str:
        target = resolve_function(self.repo, g, ev)
        if target is None:
            return "none"
        key = id(target[1])
        if key not in self.returns:
            self.returns[key] = "none"
            sub, loaded, validated, _ = self.analyse(*target)
            status = "none"
            for nodes in sub.returns:
                roots = sub.ancestors(nodes) & loaded
                if not roots:
                    continue
                bad = self._unvalidated(sub, nodes, loaded, validated, 1 << 30)
                status = "loaded" if bad else ("validated" if status != "loaded" else status)
            self.returns[key] = status
        return self.returns[key]


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """One hit per unvalidated load: its first fit/DataLoader (or fitting helper call), with the
    other uses of the same load attached (a notebook fits one dataset twenty times)."""
    flow = _Flow(repo)
    for rel, mod in repo.source_modules(("fit", "DataLoader", "train")):
        uses: dict[int, list[Event]] = {}
        for scope in scopes(mod):
            g, _, _, bad = flow.analyse(mod, scope)
            for ev, roots in bad:
                uses.setdefault(min(g.node_line[r] for r in roots), []).append(ev)
        for load, events in sorted(uses.items()):
            first, *more = sorted(events, key=lambda e: e.line)
            also = ""
            if more:
                listed = ", ".join(f"line {e.line}" for e in more[:5])
                also = f"; also used at {listed}" + (" and more" if len(more) > 5 else "")
            yield Hit(
                rel,
                first.line,
                f"`{first.name or tail(first)}` consumes data loaded at line "
                f"{load} with no schema validation before it{also}",
            )

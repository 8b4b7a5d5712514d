"""R4: no fitted or target-dependent transform on the full data before the train/test split.

Per scope, the dataflow graph gives the nodes each split consumes; their ancestors are "the full
data". Any fit (scaler, encoder, imputer, resampler, model) or target-dependent pandas statistic
(``groupby(...)[target].transform('mean')``, ``.map(means)``) that reads such a node *before* the
split leaks the test rows into training. Calls to repo helpers that fit their arguments count as
fits at the call site.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator

from architect_k.audit.dataflow import Event, Graph, HelperParams, build, scopes, tail
from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo

FIT_METHODS = frozenset(
    {"fit", "fit_transform", "fit_resample", "fit_predict", "partial_fit", "fit_sample"}
)
CV_FUNCS = frozenset(
    {
        "cross_val_score",
        "cross_validate",
        "cross_val_predict",
        "learning_curve",
        "validation_curve",
        "permutation_test_score",
    }
)
SPLITTERS = frozenset(
    {
        "KFold",
        "StratifiedKFold",
        "GroupKFold",
        "StratifiedGroupKFold",
        "ShuffleSplit",
        "StratifiedShuffleSplit",
        "GroupShuffleSplit",
        "TimeSeriesSplit",
        "RepeatedKFold",
        "RepeatedStratifiedKFold",
        "LeaveOneOut",
        "LeavePOut",
        "LeaveOneGroupOut",
        "PredefinedSplit",
        "GridSearchCV",
        "RandomizedSearchCV",
        "HalvingGridSearchCV",
        "HalvingRandomSearchCV",
    }
)
HOLD_OUT = frozenset({"train_test_split", "random_split", "sample", "mask_split"})
# Names that say a row selection is a split part: ``train = df[df.year < 2011]``.
_PART_WORDS = ("train", "test", "val", "hold", "eval")
_COMPLEMENTS = ({"<", ">"}, {"==", "!="})
AGGREGATIONS = frozenset(
    {
        "mean",
        "sum",
        "median",
        "transform",
        "agg",
        "aggregate",
        "apply",
        "std",
        "var",
        "count",
        "min",
        "max",
        "nunique",
        "size",
        "prod",
        "quantile",
        "rank",
        "first",
        "last",
        "sem",
        "describe",
    }
)
# A module mentioning none of these cannot contain a split, so it is not analysed.
SPLIT_WORDS = (
    "split",
    "train",  # ``train = df[df.year < 2011]``: a split by mask names its parts
    "cross_val",
    "cross_validate",
    "learning_curve",
    "validation_curve",
    "permutation_test",
    "SearchCV",
    "Fold",
    "LeaveOne",
    "LeaveP",
    "sample(",
)
#: Column statistics that, computed on the full data and written back into it (standardising by
#: hand, `fillna(df.mean())`, clipping at a quantile), carry the test rows into training.
FULL_DATA_STATISTICS = frozenset(
    {"mean", "median", "std", "var", "quantile", "min", "max", "mode", "nunique"}
)
TARGET_WORDS = frozenset({"target", "label", "labels", "y", "outcome", "class", "churn"})


def _splitter_node(g: Graph, node: int | None) -> bool:
    if node is None:
        return False
    return g.node_call.get(node, "").rpartition(".")[2].split("#")[0] in SPLITTERS


def _splitter_call(ev: Event) -> bool:
    """``KFold(5).split(X)``: the splitter is built inline."""
    func = ev.call.func
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Call):
        inner = func.value.func
        name = inner.attr if isinstance(inner, ast.Attribute) else getattr(inner, "id", "")
        return name in SPLITTERS
    return False


def split_events(g: Graph) -> list[tuple[Event, set[int]]]:
    """``(event, data nodes split)`` for every train/test or CV split in the scope."""
    out = []
    for ev in g.events:
        name = tail(ev)
        if name in {"train_test_split", "random_split"}:
            out.append((ev, ev.inputs))
        elif name in CV_FUNCS:
            data = set().union(*ev.arg_nodes[1:]) if len(ev.arg_nodes) > 1 else set()
            for key in ("X", "y", "groups"):
                data |= ev.kw_nodes.get(key, set())
            out.append((ev, data))
        elif name in {"split", "fit"} and (_splitter_node(g, ev.receiver) or _splitter_call(ev)):
            out.append((ev, ev.inputs))
        elif (
            name == "sample"
            and any(k.arg == "frac" for k in ev.call.keywords)
            and ev.receiver is not None
        ):
            out.append((ev, {ev.receiver}))
    out.extend(_mask_splits(g))
    return out


def _mask_splits(g: Graph) -> list[tuple[Event, set[int]]]:
    """Complementary row selections of one frame on one column (``df[df.year < 2011]`` and
    ``df[df.year >= 2011]``) bound to train/test names: a split at the first of them."""
    out: list[tuple[Event, set[int]]] = []
    done: set[tuple[int, str]] = set()
    for seq, line, frame, column, _side, bound in g.masks:
        if (frame, column) in done or not any(w in b.lower() for b in bound for w in _PART_WORDS):
            continue
        sides = {s for _, _, f, c, s, _ in g.masks if (f, c) == (frame, column)}
        if any(pair <= sides for pair in _COMPLEMENTS):
            done.add((frame, column))
            marker = ast.Call(func=ast.Name(id="mask_split"), args=[], keywords=[])
            out.append((Event(seq, line, marker, "mask_split", {frame}, None), {frame}))
    return out


def _const(g: Graph, expr: ast.expr) -> list[str]:
    if isinstance(expr, ast.Constant) and isinstance(expr.value, str):
        return [expr.value]
    if isinstance(expr, ast.Name) and expr.id in g.constants:
        return [g.constants[expr.id]]
    if isinstance(expr, ast.List | ast.Tuple):
        return [s for e in expr.elts for s in _const(g, e)]
    return []


def _defining_values(g: Graph, name: str) -> list[ast.expr]:
    """Right-hand sides that bound ``name`` in this module (tuple assignments paired)."""
    out: list[ast.expr] = []
    for node in g.mod.nodes(ast.Assign):
        if not isinstance(node, ast.Assign):
            continue
        for target in node.targets:
            if isinstance(target, ast.Name) and target.id == name:
                out.append(node.value)
            elif isinstance(target, ast.Tuple) and isinstance(node.value, ast.Tuple):
                for elt, val in zip(target.elts, node.value.elts, strict=False):
                    if isinstance(elt, ast.Name) and elt.id == name:
                        out.append(val)
    return out


def _label_columns(g: Graph, expr: ast.expr, depth: int = 0) -> list[str]:
    """Columns an X/y argument names as the label: ``df[c]``, ``df.pop(c)``, ``drop(columns=c)``."""
    if isinstance(expr, ast.Subscript):
        return _const(g, expr.slice)
    if isinstance(expr, ast.Call) and isinstance(expr.func, ast.Attribute):
        if expr.func.attr in {"pop", "drop"}:
            found = [s for a in expr.args[:1] for s in _const(g, a)]
            found += [
                s
                for k in expr.keywords
                if k.arg in {"columns", "labels"}
                for s in _const(g, k.value)
            ]
            return found
        return _label_columns(g, expr.func.value, depth)
    if isinstance(expr, ast.Name) and depth < 3:
        return [s for v in _defining_values(g, expr.id) for s in _label_columns(g, v, depth + 1)]
    return []


def targets(g: Graph, splits: list[tuple[Event, set[int]]]) -> set[str]:
    """Column names used as the label: what the X/y arguments of a split select or drop."""
    names = set(TARGET_WORDS)
    for ev, _ in splits:
        args = ev.call.args[1:] if tail(ev) in CV_FUNCS else ev.call.args
        for arg in [*args[:2], *(k.value for k in ev.call.keywords if k.arg in {"X", "y"})]:
            names.update(_label_columns(g, arg))
    names.update(
        v for k, v in g.constants.items() if any(w in k.lower() for w in ("target", "label"))
    )
    return names


def _groupby_target_stat(g: Graph, call: ast.Call, target_cols: set[str]) -> bool:
    """``df.groupby(k)[target].<agg>(...)`` / ``.agg({target: ...})`` / whole-frame aggregation."""
    if not isinstance(call.func, ast.Attribute) or call.func.attr not in AGGREGATIONS:
        return False
    inner = call.func.value
    selected: list[str] | None = None
    if isinstance(inner, ast.Subscript):
        selected = _const(g, inner.slice)
        inner = inner.value
    elif isinstance(inner, ast.Attribute) and not isinstance(inner.value, ast.Name):
        selected = [inner.attr]
        inner = inner.value
    if not (
        isinstance(inner, ast.Call)
        and isinstance(inner.func, ast.Attribute)
        and inner.func.attr == "groupby"
    ):
        return False
    if selected is None:
        if (
            call.func.attr in {"agg", "aggregate"}
            and call.args
            and isinstance(call.args[0], ast.Dict)
        ):
            keys = [s for k in call.args[0].keys if k is not None for s in _const(g, k)]
            return any(k.lower() in target_cols or k in target_cols for k in keys)
        return True  # aggregating every column includes the label
    return any(s in target_cols or s.lower() in target_cols for s in selected)


def _is_fit(g: Graph, ev: Event) -> bool:
    """A fit method, but not a splitter's (``KFold(5).split`` / ``GridSearchCV(...).fit``)."""
    return tail(ev) in FIT_METHODS and not (_splitter_node(g, ev.receiver) or _splitter_call(ev))


def _fitted_params(g: Graph) -> set[int]:
    """The parameters a helper fits on, or writes a full-data statistic of back into them."""
    fitted: set[int] = set()
    returned = g.ancestors(set().union(*g.returns)) if g.returns else set()
    for ev in g.events:
        if _is_fit(g, ev) or _groupby_target_stat(g, ev.call, set(TARGET_WORDS)):
            fitted |= g.params_of(ev.inputs)
        elif tail(ev) in FULL_DATA_STATISTICS and ev.node in returned:
            # ``frame[c] = (frame[c] - frame[c].mean()) / ...; return frame``: a statistic
            # of the argument written back into what the helper returns.
            receiver = {ev.receiver} if ev.receiver is not None else set()
            fitted |= g.params_of(g.reads(ev.call) | receiver)
    return fitted


def _split_params(g: Graph) -> set[int]:
    """The parameters a helper splits (``train_test_split`` / KFold on them)."""
    return g.params_of(set().union(*(data for _, data in split_events(g))))


def _helper_splits(splits: HelperParams, g: Graph) -> list[tuple[Event, set[int]]]:
    """Calls to repository helpers that split their arguments: splits at the call site."""
    out = []
    for ev in g.events:
        data = splits.at_call(g, ev) if ev.name else set()
        if data:
            out.append((ev, data))
    return out


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Flag fits and target statistics on split ancestors that happen before the split."""
    fit_helpers = HelperParams(repo, _fitted_params)
    split_helpers = HelperParams(repo, _split_params)
    for rel, mod in repo.source_modules(SPLIT_WORDS):
        for scope in scopes(mod):
            g = build(mod, scope)
            splits = split_events(g) + _helper_splits(split_helpers, g)
            if not splits:
                continue
            target_cols = targets(g, splits)
            reported: set[int] = set()  # one finding per fit: the first split it leaks into
            for split, data in sorted(splits, key=lambda s: s[0].seq):
                full = g.ancestors(data)
                for ev in g.events:
                    if ev.seq >= split.seq or ev.seq in reported or any(ev is s for s, _ in splits):
                        continue
                    name = tail(ev)
                    if _is_fit(g, ev):
                        # Cross-validation (a CV function, a splitter, a search) clones the
                        # estimators it gets: a model fitted before it leaks only when what it
                        # learnt reaches the CV data (its result, or the fitted object that
                        # transforms it). Before a hold-out split, the fitted model itself is
                        # what gets scored on rows it saw.
                        feeds = ev.node in full or ev.output in full
                        scored = tail(split) in HOLD_OUT and _used_after(g, ev, split)
                        if ev.inputs & full and (feeds or scored):
                            reported.add(ev.seq)
                            yield Hit(
                                rel,
                                ev.line,
                                f"`{name}` runs on the full data before the "
                                f"split at line {split.line}",
                            )
                    elif _groupby_target_stat(g, ev.call, target_cols):
                        if _feeds_the_split(g, ev, full):
                            reported.add(ev.seq)
                            yield Hit(
                                rel,
                                ev.line,
                                "target statistic (groupby on the label) "
                                f"computed on the full data before the split at line "
                                f"{split.line}",
                            )
                    elif name in FULL_DATA_STATISTICS and _feeds_the_split(g, ev, full):
                        reported.add(ev.seq)
                        yield Hit(
                            rel,
                            ev.line,
                            f"`.{name}()` of the full data is written back into it before the "
                            f"split at line {split.line}",
                        )
                    else:
                        fitted = fit_helpers.at_call(g, ev)
                        if fitted & full:
                            reported.add(ev.seq)
                            yield Hit(
                                rel,
                                ev.line,
                                f"`{ev.name}` fits on the full data before "
                                f"the split at line {split.line}",
                            )


def _used_after(g: Graph, fit: Event, split: Event) -> bool:
    """The object fitted is used again after the split (scored, predicting): a model fitted on
    all rows for a plot, and never evaluated on the split, leaks nothing."""
    fitted = fit.output if fit.output is not None else fit.node
    return any(
        ev.seq > split.seq and (ev.receiver == fitted or fitted in ev.inputs) for ev in g.events
    )


def _reads_full(g: Graph, ev: Event, full: set[int]) -> bool:
    return bool(g.reads(ev.call) & full)


def _feeds_the_split(g: Graph, ev: Event, full: set[int]) -> bool:
    """A statistic read from the full data whose value flows into the data that is split."""
    receiver = {ev.receiver} if ev.receiver is not None else set()
    reads_full = bool((ev.inputs | receiver) & full) or _reads_full(g, ev, full)
    return reads_full and ev.node in full

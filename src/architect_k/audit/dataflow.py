"""Intraprocedural dataflow over a Python function (or module body), for R3 and R4.

Each binding of a name creates a node; a node's parents are the nodes of the names read by the
expression that produced it. Mutations (``df['x'] = ...``, ``scaler.fit(X)``, ``df.dropna(
inplace=True)``) create a new node for the mutated name whose parents include its previous node.
Statements are visited in source order (branches and loop bodies inline), so "before the split"
means "earlier in the statement sequence", and the ancestors of a node tell which loaded,
validated or split values it came from. Nested functions and classes are separate scopes.

Calls into the repository's own helpers are followed through :class:`HelperParams`: a summary of
which parameters each helper fits, splits or leaves unvalidated, applied at the call site.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from architect_k.audit.pyast import FuncNode, PyModule, call_name, last
from architect_k.audit.repo import Repo


@dataclass
class Event:
    """A call of interest: its order, line, the data nodes it reads, and the node it feeds."""

    seq: int
    line: int
    call: ast.Call
    name: str
    inputs: set[int]
    receiver: int | None
    output: int | None = None
    node: int = -1
    arg_nodes: list[set[int]] = field(default_factory=list)
    kw_nodes: dict[str, set[int]] = field(default_factory=dict)

    def arguments(self, indexes: set[int]) -> set[int]:
        """The data nodes passed at these positional indexes (those the call has)."""
        return {n for i in indexes if i < len(self.arg_nodes) for n in self.arg_nodes[i]}


@dataclass
class Graph:
    """Nodes, their parents, and the call events of one scope."""

    mod: PyModule
    parents: dict[int, set[int]] = field(default_factory=dict)
    node_line: dict[int, int] = field(default_factory=dict)
    node_name: dict[int, str] = field(default_factory=dict)
    node_call: dict[int, str] = field(default_factory=dict)
    node_seq: dict[int, int] = field(default_factory=dict)
    params: dict[int, int] = field(default_factory=dict)  # node -> positional index
    param_names: dict[int, str] = field(default_factory=dict)
    events: list[Event] = field(default_factory=list)
    returns: list[set[int]] = field(default_factory=list)
    constants: dict[str, str] = field(default_factory=dict)
    cur: dict[str, int] = field(default_factory=dict)
    call_nodes: dict[int, int] = field(default_factory=dict)
    # ``train = df[df.year < 2011]``: (seq, line, frame node, column, comparison, bound names)
    masks: list[tuple[int, int, int, str, str, tuple[str, ...]]] = field(default_factory=list)
    _next: int = 0
    _seq: int = 0

    def new(self, name: str, parents: set[int], line: int, call: str = "") -> int:
        """Create a node for ``name``; it becomes the name's current binding."""
        node = self._next
        self._next += 1
        self.parents[node] = set(parents)
        self.node_line[node] = line
        self.node_name[node] = name
        self.node_call[node] = call
        self.node_seq[node] = self._seq
        self.cur[name] = node
        return node

    def ancestors(self, nodes: set[int]) -> set[int]:
        """``nodes`` and everything they derive from."""
        seen: set[int] = set()
        stack = list(nodes)
        while stack:
            node = stack.pop()
            if node in seen:
                continue
            seen.add(node)
            stack.extend(self.parents.get(node, ()))
        return seen

    def params_of(self, nodes: set[int]) -> set[int]:
        """Positional indexes of the parameters that ``nodes`` derive from."""
        return {self.params[n] for n in self.ancestors(nodes) if n in self.params}

    def reads(self, expr: ast.AST | None) -> set[int]:
        """Current nodes of the names and already-evaluated calls an expression reads."""
        if expr is None:
            return set()
        out: set[int] = set()
        for n in ast.walk(expr):
            if isinstance(n, ast.Name) and n.id in self.cur:
                out.add(self.cur[n.id])
            elif isinstance(n, ast.Call) and id(n) in self.call_nodes:
                out.add(self.call_nodes[id(n)])
        return out


def _value_call(expr: ast.AST | None) -> ast.Call | None:
    """The outermost call producing a value (``x.fit(...).transform(...)`` -> the transform)."""
    return expr if isinstance(expr, ast.Call) else None


def _target_names(target: ast.expr) -> list[ast.expr]:
    if isinstance(target, ast.Tuple | ast.List):
        out: list[ast.expr] = []
        for elt in target.elts:
            out.extend(_target_names(elt.value if isinstance(elt, ast.Starred) else elt))
        return out
    return [target]


def _base_name(expr: ast.expr) -> str | None:
    while isinstance(expr, ast.Subscript | ast.Attribute):
        expr = expr.value
    return expr.id if isinstance(expr, ast.Name) else None


def build(mod: PyModule, scope: ast.Module | FuncNode) -> Graph:
    """Run the dataflow over one scope."""
    g = Graph(mod=mod)
    for stmt in mod.tree.body:  # module constants such as TARGET = "churned" are visible
        if (
            isinstance(stmt, ast.Assign)
            and isinstance(stmt.value, ast.Constant)
            and isinstance(stmt.value.value, str)
        ):
            for t in stmt.targets:
                if isinstance(t, ast.Name):
                    g.constants[t.id] = stmt.value.value
    if isinstance(scope, ast.FunctionDef | ast.AsyncFunctionDef):
        for i, arg in enumerate(scope.args.posonlyargs + scope.args.args + scope.args.kwonlyargs):
            node = g.new(arg.arg, set(), scope.lineno)
            g.params[node] = i
            g.param_names[node] = arg.arg
        body = scope.body
    else:
        body = scope.body
    for stmt in _flatten(body):
        _visit(g, stmt)
    return g


def _flatten(body: list[ast.stmt]) -> Iterator[ast.stmt]:
    for stmt in body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            continue
        if isinstance(stmt, ast.If | ast.While):
            yield ast.Expr(value=stmt.test, lineno=stmt.lineno, col_offset=stmt.col_offset)
            yield from _flatten(stmt.body)
            yield from _flatten(stmt.orelse)
        elif isinstance(stmt, ast.For | ast.AsyncFor):
            yield stmt
            yield from _flatten(stmt.body)
            yield from _flatten(stmt.orelse)
        elif isinstance(stmt, ast.With | ast.AsyncWith):
            yield stmt
            yield from _flatten(stmt.body)
        elif isinstance(stmt, ast.Try):
            yield from _flatten(stmt.body)
            for handler in stmt.handlers:
                yield from _flatten(handler.body)
            yield from _flatten(stmt.orelse)
            yield from _flatten(stmt.finalbody)
        else:
            yield stmt


# Methods that only read their receiver: a bare ``df["age"].median()`` (a notebook displaying
# a value) changes nothing.
_PURE_METHODS = frozenset(
    {
        "mean",
        "median",
        "sum",
        "std",
        "var",
        "min",
        "max",
        "count",
        "describe",
        "head",
        "tail",
        "info",
        "value_counts",
        "nunique",
        "unique",
        "corr",
        "quantile",
        "mode",
        "plot",
        "hist",
    }
)


def _record_calls(g: Graph, expr: ast.AST | None) -> list[Event]:
    """Events for every call in ``expr``, innermost first (evaluation order)."""
    if expr is None:
        return []
    calls = [n for n in ast.walk(expr) if isinstance(n, ast.Call)]
    events = []
    for call in reversed(calls):
        g._seq += 1
        receiver = None
        if isinstance(call.func, ast.Attribute):
            base = _base_name(call.func.value)
            if base is not None and base in g.cur:
                receiver = g.cur[base]
        args = [g.reads(a) for a in call.args]
        kws = {k.arg or "**": g.reads(k.value) for k in call.keywords}
        inputs: set[int] = set()
        for part in [*args, *kws.values()]:
            inputs |= part
        name = call_name(call, g.mod.imports)
        parents = set(inputs) | g.reads(call.func)
        saved = g.cur.copy()
        node = g.new(f"<call {name}>", parents, call.lineno, name)
        g.cur = saved  # a call result is anonymous: it must not rebind any name
        g.call_nodes[id(call)] = node
        event = Event(
            g._seq,
            call.lineno,
            call,
            name,
            inputs,
            receiver,
            arg_nodes=args,
            kw_nodes=kws,
            node=node,
        )
        g.events.append(event)
        events.append(event)
    return events


_MASK_SIDES = {ast.Lt: "<", ast.LtE: "<", ast.Gt: ">", ast.GtE: ">", ast.Eq: "==", ast.NotEq: "!="}


def _record_mask(g: Graph, value: ast.expr | None, targets: Sequence[ast.expr], line: int) -> None:
    """Note ``df[df.col < v]`` / ``df.loc[df["col"] >= v]``: rows selected by a comparison on
    one of the frame's own columns (half of a split by mask when its complement follows)."""
    if not isinstance(value, ast.Subscript) or not isinstance(value.slice, ast.Compare):
        return
    frame = value.value
    if isinstance(frame, ast.Attribute) and frame.attr in {"loc", "iloc"}:
        frame = frame.value
    test = value.slice
    if not isinstance(frame, ast.Name) or frame.id not in g.cur or len(test.ops) != 1:
        return
    side = _MASK_SIDES.get(type(test.ops[0]))
    column = test.left
    name: str | None = None
    if isinstance(column, ast.Attribute) and isinstance(column.value, ast.Name):
        name = column.attr if column.value.id == frame.id else None
    elif isinstance(column, ast.Subscript) and isinstance(column.value, ast.Name):
        key = column.slice
        if column.value.id == frame.id and isinstance(key, ast.Constant):
            name = str(key.value)
    if side is None or name is None:
        return
    bound = tuple(n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name))
    g.masks.append((g._seq, line, g.cur[frame.id], name, side, bound))


def _visit(g: Graph, stmt: ast.stmt) -> None:
    if isinstance(stmt, ast.Assign | ast.AnnAssign | ast.AugAssign):
        value = stmt.value
        targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
        events = _record_calls(g, value)
        parents = g.reads(value)
        call = _value_call(value)
        cname = call_name(call, g.mod.imports) if call is not None else ""
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            for t in targets:
                if isinstance(t, ast.Name):
                    g.constants[t.id] = value.value
        g._seq += 1
        _record_mask(g, value, targets, stmt.lineno)
        for target in targets:
            elts = _target_names(target)
            for idx, elt in enumerate(elts):
                name = _base_name(elt)
                if name is None:
                    continue
                own = set(parents)
                if not isinstance(elt, ast.Name) or isinstance(stmt, ast.AugAssign):
                    if name in g.cur:
                        own.add(g.cur[name])  # a mutation keeps the old value's lineage
                    own |= g.reads(elt) - ({g.cur[name]} if name in g.cur else set())
                label = f"{cname}#{idx}/{len(elts)}" if len(elts) > 1 else cname
                node = g.new(name, own, stmt.lineno, label)
                for ev in events:
                    ev.output = node if ev.output is None else ev.output
        return
    if isinstance(stmt, ast.For | ast.AsyncFor):
        _record_calls(g, stmt.iter)
        parents = g.reads(stmt.iter)
        call = _value_call(stmt.iter)
        cname = call_name(call, g.mod.imports) if call is not None else ""
        g._seq += 1
        for elt in _target_names(stmt.target):
            if isinstance(elt, ast.Name):
                g.new(elt.id, parents, stmt.lineno, cname)
        return
    if isinstance(stmt, ast.With | ast.AsyncWith):
        for item in stmt.items:
            _record_calls(g, item.context_expr)
            if isinstance(item.optional_vars, ast.Name):
                g.new(item.optional_vars.id, g.reads(item.context_expr), stmt.lineno)
        return
    if isinstance(stmt, ast.Return):
        _record_calls(g, stmt.value)
        g.returns.append(g.reads(stmt.value))
        return
    if isinstance(stmt, ast.Expr):
        events = _record_calls(g, stmt.value)
        call = _value_call(stmt.value)
        if (
            call is not None
            and isinstance(call.func, ast.Attribute)
            and call.func.attr not in _PURE_METHODS
        ):
            # ``scaler.fit(X)`` / ``df.fillna(0, inplace=True)``: the receiver now carries the
            # arguments' lineage.
            base = _base_name(call.func.value)
            if base is not None and base in g.cur:
                g._seq += 1
                node = g.new(
                    base, {g.cur[base]} | g.reads(call), stmt.lineno, call_name(call, g.mod.imports)
                )
                for ev in events:
                    ev.output = node if ev.output is None else ev.output
        return
    for child in ast.iter_child_nodes(stmt):
        if isinstance(child, ast.expr):
            _record_calls(g, child)


def scopes(mod: PyModule) -> Iterator[ast.Module | FuncNode]:
    """The module body and every function (methods and nested functions included)."""
    yield mod.tree
    for node in mod.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def tail(event: Event) -> str:
    """Final segment of an event's callee."""
    return last(event.name)


def resolve_function(repo: Repo, g: Graph, ev: Event) -> tuple[PyModule, FuncNode] | None:
    """The repository function ``ev`` calls; None for a class or code outside the repository."""
    hit = repo.resolve(g.mod, ev.call)
    if hit is None or isinstance(hit[1], ast.ClassDef):
        return None
    return hit[0], hit[1]


class HelperParams:
    """Which positional parameters of a repository helper get some treatment (R3: fitted
    without validation; R4: fitted, or split), and so which data a call to it hands over.

    ``marked`` reads the helper's own graph. Summaries are memoised per function; a helper met
    again while its own summary is computed (recursion) counts as marking nothing.
    """

    def __init__(self, repo: Repo, marked: Callable[[Graph], set[int]]) -> None:
        self.repo = repo
        self._marked = marked
        self._summaries: dict[int, set[int]] = {}

    def of(self, mod: PyModule, func: FuncNode) -> set[int]:
        """The indexes of the parameters ``func`` marks."""
        key = id(func)
        if key not in self._summaries:
            self._summaries[key] = set()
            self._summaries[key] = self._marked(build(mod, func))
        return self._summaries[key]

    def at_call(self, g: Graph, ev: Event) -> set[int]:
        """The data nodes the call ``ev`` passes into parameters its callee marks."""
        target = resolve_function(self.repo, g, ev)
        return set() if target is None else ev.arguments(self.of(*target))

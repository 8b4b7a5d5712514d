"""Python AST helpers: import resolution, qualified call names, and in-repo call graphs.

Checks never pattern-match Python source text; they resolve names through the module's imports
(``import numpy as np``, ``from sklearn.preprocessing import StandardScaler as SS``) so aliases
and re-spellings are judged like the canonical form.
"""

from __future__ import annotations

import ast
import operator
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

FuncNode = ast.FunctionDef | ast.AsyncFunctionDef


@dataclass
class PyModule:
    """A parsed Python file of the audited repository."""

    path: str
    modname: str
    tree: ast.Module
    imports: dict[str, str] = field(default_factory=dict)
    functions: dict[str, FuncNode] = field(default_factory=dict)
    classes: dict[str, ast.ClassDef] = field(default_factory=dict)
    # id(node) -> the calls under it with their qualified names; several rules ask the same.
    call_cache: dict[int, list[tuple[ast.Call, str]]] = field(default_factory=dict)
    # Every node of the module by type, from one walk; rules query it instead of re-walking.
    by_type: dict[type, list[ast.AST]] = field(default_factory=dict)

    def nodes(self, *types: type) -> list[ast.AST]:
        """All nodes of the given AST types in the module, in walk order per type."""
        if len(types) == 1:
            return self.by_type.get(types[0], [])
        return [n for t in types for n in self.by_type.get(t, [])]

    def calls_under(self, node: ast.AST) -> list[tuple[ast.Call, str]]:
        """``(call, qualified name)`` for every call inside ``node`` (memoised)."""
        key = id(node)
        if key not in self.call_cache and node is self.tree:
            self.call_cache[key] = [
                (sub, call_name(sub, self.imports))
                for sub in self.by_type.get(ast.Call, [])
                if isinstance(sub, ast.Call)
            ]
        if key not in self.call_cache:
            self.call_cache[key] = [
                (sub, call_name(sub, self.imports))
                for sub in ast.walk(node)
                if isinstance(sub, ast.Call)
            ]
        return self.call_cache[key]

    @property
    def package(self) -> str:
        """Dotted package that relative imports are resolved against."""
        if self.path.endswith("__init__.py"):
            return self.modname
        return self.modname.rpartition(".")[0]


def build_module(path: str, modname: str, tree: ast.Module) -> PyModule:
    """Index a module's imports (alias -> qualified name), functions and classes."""
    mod = PyModule(path=path, modname=modname, tree=tree)
    for node in ast.walk(tree):
        mod.by_type.setdefault(type(node), []).append(node)
    for node in mod.nodes(ast.Import, ast.ImportFrom):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    mod.imports[alias.asname] = alias.name
                else:
                    head = alias.name.split(".")[0]
                    mod.imports[head] = head
        elif isinstance(node, ast.ImportFrom):
            base = resolve_relative(mod.package, node.module, node.level)
            for alias in node.names:
                if alias.name == "*":
                    continue
                target = f"{base}.{alias.name}" if base else alias.name
                mod.imports[alias.asname or alias.name] = target
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef | ast.AsyncFunctionDef):
            mod.functions[stmt.name] = stmt
        elif isinstance(stmt, ast.ClassDef):
            mod.classes[stmt.name] = stmt
    return mod


def resolve_relative(package: str, module: str | None, level: int) -> str:
    """Absolute dotted name of ``from {'.' * level}{module} import ...`` inside ``package``."""
    if level == 0:
        return module or ""
    parts = package.split(".") if package else []
    if level > 1:
        parts = parts[: len(parts) - (level - 1)]
    if module:
        parts.append(module)
    return ".".join(parts)


def dotted(expr: ast.expr) -> str | None:
    """``a.b.c`` for a Name/Attribute chain, ``None`` for anything else."""
    parts: list[str] = []
    while isinstance(expr, ast.Attribute):
        parts.append(expr.attr)
        expr = expr.value
    if isinstance(expr, ast.Name):
        parts.append(expr.id)
        return ".".join(reversed(parts))
    return None


def qualname(expr: ast.expr, imports: dict[str, str]) -> str | None:
    """Dotted name with its first segment replaced by what the module imported it as."""
    name = dotted(expr)
    if name is None:
        return None
    head, _, rest = name.partition(".")
    if head in imports:
        head = imports[head]
    return f"{head}.{rest}" if rest else head


def call_name(call: ast.Call, imports: dict[str, str]) -> str:
    """Qualified callee name, or the final attribute for chained calls (``x().fit`` -> ``fit``)."""
    name = qualname(call.func, imports)
    if name is not None:
        return name
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def last(name: str) -> str:
    """Final segment of a dotted name."""
    return name.rpartition(".")[2]


def names_in(node: ast.AST) -> set[str]:
    """Every plain variable name read inside ``node``."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def walk_no_defs(node: ast.AST) -> Iterator[ast.AST]:
    """Like ``ast.walk`` but does not descend into nested function or class bodies."""
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        for child in ast.iter_child_nodes(cur):
            if isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef | ast.Lambda
            ):
                continue
            stack.append(child)


def calls_in(node: ast.AST) -> Iterator[ast.Call]:
    """Every call inside ``node`` (nested definitions excluded)."""
    for sub in walk_no_defs(node):
        if isinstance(sub, ast.Call):
            yield sub


def docstrings(tree: ast.Module) -> Iterator[str]:
    """Module, class and function docstrings."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            doc = ast.get_docstring(node, clean=False)
            if doc:
                yield doc


def int_value(expr: ast.expr | None) -> int | None:
    """The integer a constant expression spells, if any: a literal, or integer arithmetic on
    literals (``5 * 8``, ``2 ** 4``, ``-1``) folded as Python would."""
    if (
        isinstance(expr, ast.Constant)
        and isinstance(expr.value, int)
        and not isinstance(expr.value, bool)
    ):
        return expr.value
    if isinstance(expr, ast.UnaryOp) and isinstance(expr.op, ast.USub | ast.UAdd):
        inner = int_value(expr.operand)
        return None if inner is None else (-inner if isinstance(expr.op, ast.USub) else inner)
    if isinstance(expr, ast.BinOp) and type(expr.op) in _INT_OPS:
        left, right = int_value(expr.left), int_value(expr.right)
        if left is None or right is None:
            return None
        if isinstance(expr.op, ast.FloorDiv | ast.Mod) and right == 0:
            return None
        if isinstance(expr.op, ast.Pow) and not 0 <= right <= 64:
            return None  # a negative power is a float; a huge one is not a batch size
        return int(_INT_OPS[type(expr.op)](left, right))
    return None


_INT_OPS: dict[type[ast.operator], Callable[[int, int], Any]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.FloorDiv: operator.floordiv,
    ast.Mod: operator.mod,
    ast.Pow: operator.pow,
}

"""The audited repository: file discovery, exclusions, and cached parses shared by all checks.

Every file is read at most once and parsed at most once per audit, whichever rules ask.

Excluded by default: VCS and tool folders (``.git``, ``.venv``, ``venv``, ``node_modules``,
``build``, ``dist``, ``__pycache__``, caches, ``*.egg-info``), any virtualenv (a folder
holding ``pyvenv.cfg``, whatever its name) and test fixture folders
(``tests/**/fixtures``), which hold deliberate violations. A ``.architect-k.yaml`` at the root
may add ``exclude:`` globs (matched against repo-relative POSIX paths with ``fnmatch``).

Also excluded by default, and reported: vendored release archives (a folder named as a version,
``v0.16.0`` or ``0.2.1-rc1``, beside another such folder: generated copies of old releases that
nobody edits). Every file the audit does not read in full is recorded in :attr:`Repo.skipped`
with the reason, and the reports list them: nothing is left out silently.
"""

from __future__ import annotations

import ast
import fnmatch
import io
import json
import os
import re
import tokenize
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from architect_k.audit import yamlio
from architect_k.audit.pyast import FuncNode, PyModule, build_module, docstrings

SKIP_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        ".venv",
        "venv",
        ".env.d",
        "node_modules",
        "build",
        "dist",
        "__pycache__",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "site-packages",
        ".eggs",
        ".idea",
        ".vscode",
        ".ipynb_checkpoints",
    }
)
TEST_DIRS = frozenset({"tests", "test", "testing"})
CONFIG_FILE = ".architect-k.yaml"
MAX_BYTES = 2_000_000  # larger files are data or vendored artefacts, not code under review
_RELEASE_DIR = re.compile(r"v?\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.]+)?")
# Text the rules would read; failing to decode one of these is a skip worth reporting.
_TEXT_SUFFIXES = (".py", ".yaml", ".yml", ".json", ".toml", ".cfg", ".ini", ".txt", ".ipynb")


class RepoError(Exception):
    """The path cannot be audited (missing, unreadable, bad config)."""


def _is_dockerfile(name: str) -> bool:
    low = name.lower()
    return (
        low in {"dockerfile", "containerfile"}
        or low.startswith("dockerfile.")
        or low.endswith(".dockerfile")
    )


def _is_requirements(rel: str, name: str) -> bool:
    low = name.lower()
    if low.endswith(".txt") and (low.startswith("requirements") or "/requirements/" in f"/{rel}"):
        return True
    if low.startswith("constraints") and low.endswith(".txt"):
        return True
    return low.endswith(".lock") and low.startswith("requirements")


class Repo:
    """A directory under audit, with lazily parsed files."""

    def __init__(self, root: Path, only: list[str] | None = None) -> None:
        self.root = root
        self.excludes: list[str] = self._read_config()
        self.skipped: dict[str, tuple[str, str]] = {}  # path -> (kind, detail)
        self.files: list[str] = only if only is not None else self._discover()
        self.python: list[str] = [f for f in self.files if f.endswith(".py")]
        self.notebooks: list[str] = [f for f in self.files if f.endswith(".ipynb")]
        # What the code rules (R3 R4 R7 R8 R9) read: modules, and notebooks read as one module.
        self.code: list[str] = self.python + self.notebooks
        self.yaml: list[str] = [f for f in self.files if f.endswith((".yaml", ".yml"))]
        self.dockerfiles: list[str] = [f for f in self.files if _is_dockerfile(_base(f))]
        self.requirements: list[str] = [f for f in self.files if _is_requirements(f, _base(f))]
        self._text: dict[str, str | None] = {}
        self._yaml: dict[str, list[Any]] = {}
        self._modules: dict[str, PyModule | None] = {}
        self._cell_lines: dict[str, list[tuple[int, int, int]]] = {}
        self._modnames: dict[str, str] | None = None
        self._comments: dict[str, str] = {}
        self._importers: dict[str, list[PyModule]] | None = None
        self._reachable: dict[str, list[tuple[PyModule, ast.AST]]] = {}
        self.context_cache: dict[str, list[tuple[PyModule, ast.AST]]] = {}

    # -- discovery -------------------------------------------------------------------------
    def _read_config(self) -> list[str]:
        cfg = self.root / CONFIG_FILE
        if not cfg.is_file():
            return []
        try:
            data = yaml.safe_load(cfg.read_text(encoding="utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise RepoError(f"{CONFIG_FILE}: cannot parse: {exc}") from exc
        excludes = data.get("exclude", []) if isinstance(data, dict) else None
        if not isinstance(excludes, list) or not all(isinstance(e, str) for e in excludes):
            raise RepoError(f"{CONFIG_FILE}: `exclude` must be a list of glob strings")
        return [e.rstrip("/") for e in excludes]

    def excluded(self, rel: str) -> bool:
        """True when ``rel`` (a file or folder) matches a configured exclude glob."""
        return any(
            fnmatch.fnmatch(rel, pat) or fnmatch.fnmatch(rel, pat + "/*") for pat in self.excludes
        )

    def _discover(self) -> list[str]:
        out: list[str] = []
        root = str(self.root)
        for dirpath, dirnames, filenames in os.walk(root, onerror=None):
            rel_dir = os.path.relpath(dirpath, root).replace(os.sep, "/")
            rel_dir = "" if rel_dir == "." else rel_dir + "/"
            parts = rel_dir.split("/")
            keep = []
            releases = [d for d in dirnames if _RELEASE_DIR.fullmatch(d)]
            for d in dirnames:
                if d in SKIP_DIRS or d.endswith(".egg-info"):
                    continue
                if os.path.isfile(os.path.join(dirpath, d, "pyvenv.cfg")):
                    continue  # a virtualenv under any name: installed code, not the repo's
                if d == "fixtures" and any(p in TEST_DIRS for p in parts):
                    continue
                if self.excludes and self.excluded(rel_dir + d):
                    continue
                if len(releases) > 1 and d in releases:
                    count = sum(len(f) for _, _, f in os.walk(os.path.join(dirpath, d)))
                    self.skipped[rel_dir + d + "/"] = (
                        "vendored release archive",
                        f"{count} files, a versioned copy of a release; "
                        "audit the folder on its own to check it",
                    )
                    continue
                keep.append(d)
            dirnames[:] = sorted(keep)
            for name in sorted(filenames):
                rel = rel_dir + name
                if self.excludes and self.excluded(rel):
                    continue
                out.append(rel)
        return out

    # -- raw text --------------------------------------------------------------------------
    def text(self, rel: str) -> str | None:
        """File contents, or ``None`` for binary, oversized or unreadable files."""
        if rel not in self._text:
            path = self.root / rel
            self._text[rel] = None
            try:
                size = path.stat().st_size
                if size > MAX_BYTES:
                    limit = MAX_BYTES // 1_000_000
                    self.skipped[rel] = ("too large", f"{size / 1e6:.1f} MB, over {limit} MB")
                else:
                    self._text[rel] = path.read_text(encoding="utf-8")
            except UnicodeDecodeError:
                if rel.endswith(_TEXT_SUFFIXES):
                    self.skipped[rel] = ("not UTF-8", "cannot be decoded as UTF-8 text")
            except OSError as exc:
                self.skipped[rel] = ("unreadable", str(exc.strerror))
        return self._text[rel]

    def lines(self, rel: str) -> list[str]:
        """File contents split into lines (empty when unreadable)."""
        text = self.text(rel)
        return text.splitlines() if text is not None else []

    def exists(self, rel: str) -> bool:
        """True when ``rel`` is one of the audited files."""
        return rel in self._file_set

    @property
    def _file_set(self) -> set[str]:
        cached: set[str] | None = getattr(self, "_files_cache", None)
        if cached is None:
            cached = set(self.files)
            self._files_cache = cached
        return cached

    # -- YAML ------------------------------------------------------------------------------
    def yaml_docs(self, rel: str) -> list[Any]:
        """Parsed YAML documents (line-aware); empty for unparsable files such as Helm templates."""
        if rel not in self._yaml:
            text = self.text(rel)
            docs: list[Any] = []
            crds: list[int] = []
            if text is not None:
                try:
                    docs = yamlio.load_all(text, crds)
                except yaml.YAMLError as exc:
                    mark = getattr(exc, "problem_mark", None)
                    where = f" (line {mark.line + 1})" if mark is not None else ""
                    self.skipped[rel] = ("YAML does not parse", f"template or invalid{where}")
                    docs = []
            if crds and rel not in self.skipped:
                self.skipped[rel] = (
                    "CustomResourceDefinition not read",
                    f"{len(crds)} document(s) of OpenAPI schema: no workload, image or value",
                )
            self._yaml[rel] = docs
        return self._yaml[rel]

    def k8s_docs(self) -> Iterator[tuple[str, Any]]:
        """Every YAML document that looks like a Kubernetes object (``kind`` + ``apiVersion``)."""
        for rel in self.yaml:
            for doc in self.yaml_docs(rel):
                if isinstance(doc, dict) and "kind" in doc and "apiVersion" in doc:
                    if doc.get("kind") == "List" and isinstance(doc.get("items"), list):
                        for item in doc["items"]:
                            if isinstance(item, dict) and "kind" in item:
                                yield rel, item
                    else:
                        yield rel, doc

    # -- Python ----------------------------------------------------------------------------
    def _module_names(self) -> dict[str, str]:
        if self._modnames is None:
            names: dict[str, str] = {}
            for rel in self.python:
                parts = rel[:-3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                if parts and parts[0] in {"src", "lib"} and len(parts) > 1:
                    parts = parts[1:]
                names[rel] = ".".join(parts)
            self._modnames = names
        return self._modnames

    def source_modules(self, words: Iterable[str]) -> Iterator[tuple[str, PyModule]]:
        """Parsed non-test Python modules whose text mentions any of `words` (a cheap filter)."""
        wanted = tuple(words)
        for rel in self.code:
            text = self.text(rel) or ""
            if is_test_path(rel) or not any(word in text for word in wanted):
                continue
            mod = self.module(rel)
            if mod is not None:
                yield rel, mod

    def module(self, rel: str) -> PyModule | None:
        """Parsed module (``None`` when it does not parse)."""
        if rel not in self._modules:
            text = self._notebook_source(rel) if rel.endswith(".ipynb") else self.text(rel)
            mod: PyModule | None = None
            if text is not None:
                try:
                    tree = ast.parse(text, filename=rel)
                    mod = build_module(rel, self._module_names().get(rel, ""), tree)
                except (SyntaxError, ValueError) as exc:
                    line = getattr(exc, "lineno", None)
                    where = f" (line {line})" if line else ""
                    self.skipped[rel] = (
                        "Python does not parse",
                        f"a template or another Python version{where}",
                    )
                    mod = None
            self._modules[rel] = mod
        return self._modules[rel]

    def _notebook_source(self, rel: str) -> str | None:
        """A notebook's code cells joined in order into one module, one line per cell line, so
        a line of the module maps back to its cell (:meth:`cell_location`). IPython ``%``/``!``
        lines are blanked; a cell that is not Python (``%%`` magic, syntax error) is blanked
        whole and reported."""
        cells = notebook_cells(self, rel)
        if not cells:
            if self.text(rel) is not None:
                self.skipped.setdefault(rel, ("notebook not read", "not Jupyter's JSON layout"))
            return None
        out: list[str] = []
        where: list[tuple[int, int, int]] = []
        unparsed: list[str] = []
        for cell in cells:
            if cell.kind != "code":
                continue
            source = cell.python
            if source is None and any(t.strip() for _, t in cell.lines):
                first = cell.lines[0][1].lstrip() if cell.lines else ""
                if not first.startswith("%%"):
                    unparsed.append(str(cell.number))
            texts = source.split("\n") if source else [""] * len(cell.lines)
            pairs = zip(cell.lines, texts, strict=True)
            for index, ((file_line, _), text) in enumerate(pairs, start=1):
                out.append(text)
                where.append((cell.number, index, file_line))
        if unparsed:
            self.skipped.setdefault(
                rel, ("notebook cells not analysed", f"cell(s) {', '.join(unparsed)} not Python")
            )
        self._cell_lines[rel] = where
        return "\n".join(out) + "\n"

    def cell_location(self, rel: str, line: int) -> tuple[int, int, int] | None:
        """``(cell number, line in the cell, line in the .ipynb)`` of a line of a notebook's
        joined module; ``None`` for a file that is not a notebook read as code."""
        self.module(rel)
        where = self._cell_lines.get(rel)
        if not where:
            return None
        return where[min(max(line, 1), len(where)) - 1]

    def module_by_name(self, modname: str) -> PyModule | None:
        """The repo module with dotted name ``modname`` (src layout aware)."""
        by_name: dict[str, str] | None = getattr(self, "_by_name", None)
        if by_name is None:
            by_name = {}
            for rel, name in self._module_names().items():
                # Prefer the src-layout spelling; a top-level duplicate name is rare.
                by_name.setdefault(name, rel)
                # Scripts are often run as ``python scripts/<name>.py`` and import siblings flatly.
                by_name.setdefault(name.rpartition(".")[2], rel)
            self._by_name = by_name
        found = by_name.get(modname)
        return self.module(found) if found else None

    def resolve(
        self, mod: PyModule, call: ast.Call
    ) -> tuple[PyModule, FuncNode | ast.ClassDef] | None:
        """The repo function or class a call targets, if it lives in this repository."""
        from architect_k.audit.pyast import dotted

        name = dotted(call.func)
        if name is None:
            return None
        head, _, rest = name.partition(".")
        if not rest:
            if head in mod.functions:
                return mod, mod.functions[head]
            if head in mod.classes:
                return mod, mod.classes[head]
        target = mod.imports.get(head)
        if target is None:
            return None
        full = f"{target}.{rest}" if rest else target
        modname, _, attr = full.rpartition(".")
        other = self.module_by_name(modname)
        if other is None:
            return None
        if attr in other.functions:
            return other, other.functions[attr]
        if attr in other.classes:
            return other, other.classes[attr]
        return None

    def importers_of(self, modname: str) -> list[PyModule]:
        """Non-test modules importing ``modname`` or something inside it (index built once)."""
        if self._importers is None:
            index: dict[str, list[PyModule]] = {}
            for rel in self.python:
                if is_test_path(rel):
                    continue
                mod = self.module(rel)
                if mod is None:
                    continue
                targets: set[str] = set()
                for value in mod.imports.values():
                    parts = value.split(".")
                    targets.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
                for target in targets:
                    index.setdefault(target, []).append(mod)
            self._importers = index
        return self._importers.get(modname, [])

    def reachable(self, mod: PyModule) -> list[tuple[PyModule, ast.AST]]:
        """The module body plus every repo function or class transitively called from it."""
        cached = self._reachable.get(mod.path)
        if cached is not None:
            return cached
        seen: set[int] = set()
        out: list[tuple[PyModule, ast.AST]] = []
        self._reachable[mod.path] = out
        stack: list[tuple[PyModule, ast.AST]] = [(mod, mod.tree)]
        while stack:
            cur_mod, node = stack.pop()
            if id(node) in seen:
                continue
            seen.add(id(node))
            out.append((cur_mod, node))
            for sub, _ in cur_mod.calls_under(node):
                hit = self.resolve(cur_mod, sub)
                if hit is not None and id(hit[1]) not in seen:
                    stack.append(hit)
        return out

    # -- exception tags --------------------------------------------------------------------
    def has_tag(self, rel: str, tag: str) -> bool:
        """True when ``tag`` appears in a comment (or docstring / annotation) of ``rel``."""
        text = self.text(rel)
        if text is None or tag not in text:
            return False
        if rel.endswith(".py"):
            return tag in self._py_comment_text(rel)
        if rel.endswith((".yaml", ".yml")):
            return tag in _hash_comments(text) or self._yaml_annotated(rel, tag)
        return tag in _hash_comments(text)

    def _py_comment_text(self, rel: str) -> str:
        if rel not in self._comments:
            text = self.text(rel) or ""
            chunks: list[str] = []
            try:
                for tok in tokenize.generate_tokens(io.StringIO(text).readline):
                    if tok.type == tokenize.COMMENT:
                        chunks.append(tok.string)
            except (tokenize.TokenError, SyntaxError):
                pass
            mod = self.module(rel)
            if mod is not None:
                chunks.extend(docstrings(mod.tree))
            self._comments[rel] = "\n".join(chunks)
        return self._comments[rel]

    def _yaml_annotated(self, rel: str, tag: str) -> bool:
        for doc in self.yaml_docs(rel):
            for node in _walk_yaml(doc):
                if isinstance(node, dict):
                    ann = node.get("annotations")
                    if isinstance(ann, dict) and any(
                        tag in str(k) or tag in str(v) for k, v in ann.items()
                    ):
                        return True
        return False


@dataclass(frozen=True)
class Cell:
    """One notebook cell: its 1-based number, type, and ``(line in the .ipynb, text)`` lines."""

    number: int
    kind: str
    lines: list[tuple[int, str]]

    @property
    def python(self) -> str | None:
        """The cell as Python source (IPython ``%``/``!`` lines blanked), or None when it is
        not Python: markdown, a ``%%`` cell magic, or a syntax error."""
        if self.kind != "code" or any(t.lstrip().startswith("%%") for _, t in self.lines[:1]):
            return None
        source = "\n".join("" if t.lstrip().startswith(("%", "!")) else t for _, t in self.lines)
        try:
            ast.parse(source)
        except (SyntaxError, ValueError):
            return None
        return source


def notebook_cells(repo: Repo, rel: str) -> list[Cell]:
    """The cells of a notebook with the file line of each source line, so a finding points at
    the line an editor shows; empty when the notebook is not valid JSON."""
    text = repo.text(rel)
    if text is None:
        return []
    try:
        kinds = [str(c.get("cell_type", "")) for c in json.loads(text).get("cells", [])]
    except (ValueError, AttributeError):
        return []
    blocks: list[list[tuple[int, str]]] = []
    in_source = False
    for number, raw in enumerate(text.splitlines(), start=1):
        stripped = raw.strip()
        if stripped.startswith('"source":'):
            blocks.append([])
            rest = stripped[len('"source":') :].strip()
            in_source = not rest.startswith('"')
            if in_source:
                continue
            stripped = rest  # a one-string source on the same line
        elif in_source and stripped.startswith("]"):
            in_source = False
            continue
        elif not in_source:
            continue
        try:
            value = json.loads(stripped.rstrip(","))
        except ValueError:
            continue
        if isinstance(value, str):
            blocks[-1].extend((number, line) for line in value.splitlines() or [""])
    if len(blocks) != len(kinds):
        return []  # not the one-line-per-string layout Jupyter writes; reported by the caller
    pairs = zip(kinds, blocks, strict=True)
    return [Cell(i, kind, block) for i, (kind, block) in enumerate(pairs, start=1)]


def _base(rel: str) -> str:
    return rel.rpartition("/")[2]


def _hash_comments(text: str) -> str:
    """Text of ``#`` comments in YAML / Dockerfile / requirements syntax (quotes respected)."""
    out: list[str] = []
    for line in text.splitlines():
        if "#" not in line:
            continue
        quote = ""
        for i, ch in enumerate(line):
            if quote:
                if ch == quote:
                    quote = ""
            elif ch in "\"'":
                quote = ch
            elif ch == "#" and (i == 0 or line[i - 1].isspace()):
                out.append(line[i:])
                break
    return "\n".join(out)


def _walk_yaml(node: Any) -> Iterator[Any]:
    stack = [node]
    while stack:
        cur = stack.pop()
        yield cur
        if isinstance(cur, dict):
            stack.extend(cur.values())
        elif isinstance(cur, list):
            stack.extend(cur)


walk_yaml = _walk_yaml


def is_test_path(rel: str) -> bool:
    """True for test modules and anything under a tests folder."""
    parts = rel.split("/")
    name = parts[-1]
    return (
        any(p in TEST_DIRS for p in parts[:-1])
        or name.startswith("test_")
        or name.endswith("_test.py")
        or name == "conftest.py"
    )

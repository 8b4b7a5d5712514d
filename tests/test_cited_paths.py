"""What the prose of the repository cites exists: repository paths, and docs sections.

A comment that names a file is a promise a reader acts on ("tests/test_serve.py checks this"),
and files are renamed without their readers noticing. Every path-like token in the prose of this
repository is resolved against the checkout and against the tree a render produces. Citations
of the project's docs page (`docs/architect-k.md §3.5`) must name a section the page has, and
nothing cites the Architect-K specification itself, which the repository does not ship: the
page states what the project takes from it.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import tokenize
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import pathspec
import pytest

from architect_k import REPO_ROOT
from tests.test_docs import PAGE, sections

#: What the scan reads: the package, the hooks, the scripts, the tests, the template, the
#: ledger and the docs. Test fixtures are left out: they are sample repositories whose comments
#: describe repositories of their own.
SCANNED_DIRS = (
    "src", "hooks", "scripts", "bench", "tests", "template", "scar_ledger", "schemas", "docs",
)  # fmt: skip
SCANNED_FILES = ("copier.yml", "README.md", "Makefile", "pyproject.toml", ".pre-commit-hooks.yaml")
SKIPPED_PARTS = frozenset({"fixtures", "real_corpus", "__pycache__", "node_modules"})


#: A token is a path when it has at least one folder and ends in a file of a kind this
#: repository holds, or ends in "/" (a folder). "p50/p99", "train/valid/test" or a URL are not.
_SUFFIXES = "py|pyi|yaml|yml|json|jsonl|md|toml|jinja|lock|txt|cfg|ini|sh|png|html"
PATH_TOKEN = re.compile(
    rf"(?<![\w./:@<>{{}}$~*\\-])((?:[\w.-]+/)+(?:[\w*-][\w.*-]*\.(?:{_SUFFIXES})(?!\.?\w)"
    r"|(?![\w.*-])))"
)
#: How prose spells the generated package's folder.
_PACKAGE = re.compile(r"\{\{-? *package_name *-?\}\}|<pkg>|<package(?:_name)?>")
PKG = "PKG"
_JINJA_TAG = re.compile(r"\{%.*?%\}")


@dataclass(frozen=True)
class Cited:
    """A path named in the prose of ``source`` at ``line``."""

    source: str
    line: int
    path: str


# -- where the prose is ----------------------------------------------------------------------
def _python_prose(text: str) -> Iterator[tuple[int, str]]:
    """Comments and docstrings of a Python module."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(text).readline))
        tree = ast.parse(text)
    except (SyntaxError, tokenize.TokenError):
        yield from _hash_and_docstring_prose(text)
        return
    for token in tokens:
        if token.type == tokenize.COMMENT:
            yield token.start[0], token.string
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if (
                body
                and isinstance(body[0], ast.Expr)
                and isinstance(body[0].value, ast.Constant)
                and isinstance(body[0].value.value, str)
            ):
                yield body[0].lineno, body[0].value.value


_HASH_COMMENT = re.compile(r"(?:^|(?<=\s))#(?![}#]).*$", re.MULTILINE)
_TRIPLE_QUOTED = re.compile(r'"""(.*?)"""', re.DOTALL)


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _hash_comments(text: str) -> Iterator[tuple[int, str]]:
    for match in _HASH_COMMENT.finditer(text):
        yield _line_of(text, match.start()), match.group()


def _hash_and_docstring_prose(text: str) -> Iterator[tuple[int, str]]:
    """A template of a Python module: `#` comments and triple-quoted text (its docstrings)."""
    yield from _hash_comments(text)
    for match in _TRIPLE_QUOTED.finditer(text):
        yield _line_of(text, match.start()), match.group(1)


def _json_descriptions(text: str) -> Iterator[tuple[int, str]]:
    def walk(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in {"title", "description"} and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    for value in walk(json.loads(text)):
        yield _line_of(text, max(text.find(value[:40]), 0)), value


_HASH_COMMENTED = (".yaml", ".yml", ".toml", ".gitignore", ".dockerignore")
_HASH_NAMED = ("Makefile", "Dockerfile")


def prose(name: str, text: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of the comments, docstrings and descriptions of a file named ``name``."""
    base = PurePosixPath(name).name
    if base.endswith(".md") or base.endswith(".md.jinja"):
        yield 1, text
    elif base.endswith(".py"):
        yield from _python_prose(text)
    elif base.endswith(".py.jinja"):
        yield from _hash_and_docstring_prose(text)
    elif base.endswith(".json"):
        yield from _json_descriptions(text)
    elif base.removesuffix(".jinja").endswith(_HASH_COMMENTED) or base.startswith(_HASH_NAMED):
        yield from _hash_comments(text)


def cited_paths(name: str, text: str) -> Iterator[Cited]:
    """Every path-like token in the prose of one file."""
    for line, chunk in prose(name, text):
        chunk = _PACKAGE.sub(PKG, chunk)
        for match in PATH_TOKEN.finditer(chunk):
            yield Cited(name, line + chunk.count("\n", 0, match.start()), match.group(1))


# -- what exists -----------------------------------------------------------------------------
def generated_path(template_rel: str) -> str:
    """Where a file of template/ lands in a render (package folder spelled PKG)."""
    rel = _PACKAGE.sub(PKG, _JINJA_TAG.sub("", template_rel))
    return rel.removesuffix(".jinja")


@dataclass(frozen=True)
class Trees:
    """The files of a checkout and of a render of its template.

    A cited path must exist when its first folder is one of theirs; ``artifacts/model/`` (no
    such folder) names what a run writes, and so does a path the checkout's .gitignore ignores
    (``bench/results/``).
    """

    files: frozenset[str]
    roots: frozenset[str]
    ignored: pathspec.PathSpec

    @classmethod
    def of(cls, root: Path) -> Trees:
        gitignore = root / ".gitignore"
        ignored = pathspec.GitIgnoreSpec.from_lines(
            gitignore.read_text(encoding="utf-8").splitlines() if gitignore.is_file() else []
        )
        files: set[str] = set()
        for folder, dirs, names in os.walk(root):
            base = Path(folder).relative_to(root).as_posix()
            prefix = "" if base == "." else f"{base}/"
            dirs[:] = [d for d in dirs if d != ".git" and not ignored.match_file(f"{prefix}{d}/")]
            for name in names:
                rel = f"{prefix}{name}"
                if ignored.match_file(rel):
                    continue
                files.add(rel)
                if rel.startswith("template/"):
                    files.add(generated_path(rel.removeprefix("template/")))
        roots = {rel.split("/", 1)[0] for rel in files if "/" in rel}
        # A module names its neighbours from its package: serve/app.py, ledger/fipi.py.
        for package in ("src/architect_k/", f"src/{PKG}/"):
            roots |= {
                rel.removeprefix(package).split("/", 1)[0]
                for rel in files
                if rel.startswith(package) and "/" in rel.removeprefix(package)
            }
        return cls(frozenset(files), frozenset(roots), ignored)

    def claims(self, cited: str) -> bool:
        """True when ``cited`` names a file or folder of the repository, so it must exist."""
        return cited.split("/", 1)[0] in self.roots and not self.ignored.match_file(cited)

    def exists(self, cited: str) -> bool:
        """True when ``cited`` is a file or folder of the checkout or of a render."""
        for candidate in (cited, f"src/architect_k/{cited}", f"src/{PKG}/{cited}"):
            if "*" in candidate:
                pattern = re.compile(re.escape(candidate).replace(r"\*", "[^/]*"))
                if any(pattern.fullmatch(rel) for rel in self.files):
                    return True
            elif candidate.endswith("/"):
                if any(rel.startswith(candidate) for rel in self.files):
                    return True
            elif candidate in self.files:
                return True
        return False


def scanned_files(root: Path) -> Iterator[Path]:
    """The files whose prose is checked."""
    for name in SCANNED_FILES:
        if (root / name).is_file():
            yield root / name
    for folder in SCANNED_DIRS:
        for path in sorted((root / folder).rglob("*")):
            rel = path.relative_to(root)
            if path.is_file() and not SKIPPED_PARTS & set(rel.parts):
                yield path


def texts(root: Path) -> Iterator[tuple[str, str]]:
    """``(repository path, text)`` of each scanned file that is text."""
    for path in scanned_files(root):
        try:
            yield path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue


def missing_paths(root: Path) -> list[Cited]:
    """Every path the prose under ``root`` names that neither the checkout nor a render has."""
    trees = Trees.of(root)
    return [
        cited
        for name, text in texts(root)
        for cited in cited_paths(name, text)
        if trees.claims(cited.path) and not trees.exists(cited.path)
    ]


# -- citations -------------------------------------------------------------------------------
#: A citation of the docs page: its path, then one or more of its sections, as in
#: docs/architect-k.md §3.2 and §3.4.
CITATION = re.compile(r"docs/architect-k\.md((?:(?:,\s*|\s+and\s+|\s+or\s+|\s+)§\d+(?:\.\d+)?)+)")
SECTION = re.compile(r"§(\d+(?:\.\d+)?)")
#: How comments used to cite the specification. The word also names random seeds (R8, SEED=,
#: "the seed's value"), so only its citing forms are matched.
SPECIFICATION = re.compile(
    r"\bseed(?:'s)?\s+(?:§\s*|phase\s+|section\s+)\d+(?:\.\d+)*"
    r"|\bthe seed(?:'s)?\s+(?:§\s*\d+(?:\.\d+)*|phase|section|order|taxonomy|lists|gives|\d)"
    r"|agent-spec|shared/seed",
    re.IGNORECASE,
)


def cited_sections(name: str, text: str) -> Iterator[tuple[int, str]]:
    """``(line, "3.2")`` for each section of the docs page the prose of a file cites."""
    for line, chunk in prose(name, text):
        for citation in CITATION.finditer(chunk):
            for section in SECTION.finditer(citation.group(1)):
                yield line + chunk.count("\n", 0, citation.start()), section.group(1)


def _blank(match: re.Match[str]) -> str:
    return " " * len(match.group())


def outside_citations(name: str, text: str) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of each citation in the prose of a file that is not of the docs page."""
    for line, chunk in prose(name, text):
        for match in SPECIFICATION.finditer(chunk):
            yield line + chunk.count("\n", 0, match.start()), match.group()
        bare = SPECIFICATION.sub(_blank, CITATION.sub(_blank, chunk))
        for match in SECTION.finditer(bare):
            yield line + chunk.count("\n", 0, match.start()), match.group()


# -- the tests -------------------------------------------------------------------------------
def test_every_path_a_comment_or_docstring_names_exists() -> None:
    missing = missing_paths(REPO_ROOT)
    assert not missing, "\n".join(f"{m.source}:{m.line}: {m.path}" for m in missing)


@pytest.mark.parametrize(
    ("prose_text", "paths"),
    [
        ("checked by tests/test_audit.py.", ["tests/test_audit.py"]),
        ("tests/test_audit.py::test_rules_yaml holds it", ["tests/test_audit.py"]),
        ("the samples in ``tests/fixtures/ledger/``", ["tests/fixtures/ledger/"]),
        (
            "see src/{{ package_name }}/train.py and src/<pkg>/serve/",
            ["src/PKG/train.py", "src/PKG/serve/"],
        ),
        ("p50/p99 at train/valid/test, and/or CSV/Parquet", []),
        ("https://github.com/org/repo/blob/main/docs/x.md or /tmp/a/b.py", []),
        ("a glob: src/architect_k/audit/rules/r*_*.py", ["src/architect_k/audit/rules/r*_*.py"]),
    ],
)
def test_a_path_is_a_token_with_a_folder_and_a_file_kind_or_a_trailing_slash(
    prose_text: str, paths: list[str]
) -> None:
    assert [cited.path for cited in cited_paths("page.md", prose_text)] == paths


def _plant(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")


def test_the_scan_names_each_planted_missing_path_and_nothing_else(tmp_path: Path) -> None:
    _plant(
        tmp_path,
        {
            ".gitignore": "results/\n",
            "scar_ledger/scars.jsonl": "",
            "tests/test_fipi.py": "",
            "src/architect_k/ledger/fipi.py": (
                '"""Pinned by tests/test_fipi.py and tests/test_gone.py."""\n'
                "# ledger/fipi.py writes results/out.json, p50/p99 and artifacts/model/\n"
                'RATE = "tests/nowhere.py is data, not prose"\n'
            ),
            "template/src/{{package_name}}/serve/__main__.py.jinja": "",
            "template/tests/{% if x %}test_serve.py{% endif %}.jinja": "",
            "template/src/{{package_name}}/serve/app.py.jinja": (
                '"""Started by serve/__main__.py; tested in tests/test_serve.py."""\n'
                "{%- if x %}\nimport {{ package_name }}\n{%- endif %}\n"
            ),
            "template/k8s/base/deployment.yaml.jinja": "# serves src/<pkg>/serve/gone.py\n",
            "docs/page.md": "The rules: `scar_ledger/rules.yaml`; the scars: `scar_ledger/`.\n",
        },
    )
    missing = {(cited.source, cited.line, cited.path) for cited in missing_paths(tmp_path)}
    assert missing == {
        ("src/architect_k/ledger/fipi.py", 1, "tests/test_gone.py"),
        ("template/k8s/base/deployment.yaml.jinja", 1, "src/PKG/serve/gone.py"),
        ("docs/page.md", 1, "scar_ledger/rules.yaml"),
    }


def test_nothing_cites_the_specification_the_repository_does_not_ship() -> None:
    page = PAGE.relative_to(REPO_ROOT).as_posix()
    found = [
        f"{name}:{line}: {text}"
        for name, content in texts(REPO_ROOT)
        if name != page  # the page's own cross-references are its sections
        for line, text in outside_citations(name, content)
    ]
    assert not found, "cite docs/architect-k.md §N instead:\n" + "\n".join(found)


def test_every_cited_section_of_the_docs_page_exists() -> None:
    text = PAGE.read_text(encoding="utf-8")
    have = set(sections(text))
    cited = [
        (PAGE.name, text.count("\n", 0, m.start()) + 1, m.group(1)) for m in SECTION.finditer(text)
    ]
    cited += [
        (name, line, section)
        for name, content in texts(REPO_ROOT)
        for line, section in cited_sections(name, content)
    ]
    assert len(cited) > 20, cited  # the page's cross-references and the code's citations
    missing = [f"{name}:{line}: §{section}" for name, line, section in cited if section not in have]
    assert not missing, "\n".join(missing)


@pytest.mark.parametrize(
    ("prose_text", "outside"),
    [
        ('"""As the seed §2.2 says."""', ["the seed §2.2"]),
        ("# Seed §2.2: prune below 0.20", ["Seed §2.2"]),
        ("# The seed's Phase 0 invariants.", ["The seed's Phase"]),
        ("# seed Phase 5.1: reinforce by 0.05", ["seed Phase 5.1"]),
        ("# see §7.5 for the taxonomy", ["§7.5"]),
        ("# Phase 0 (docs/architect-k.md §4.0 and §3.5)", []),
        ("# The seed's order, then the chain fields.", ["The seed's order"]),
        ("# The three scars the seed gives in full", ["the seed gives"]),
        ('"""Return rows; the same seed gives the same frame."""', []),
        ("# random.seed(42) first (R8); SEED=1 replays; the seed's value is logged", []),
    ],
)
def test_a_citation_is_of_the_docs_page_or_it_is_named(prose_text: str, outside: list[str]) -> None:
    assert [text for _, text in outside_citations("module.py", prose_text)] == outside


def test_a_citation_names_each_of_its_sections() -> None:
    text = "# docs/architect-k.md §3.2, §3.4 and §9.9; not §1\n"
    assert list(cited_sections("module.py", text)) == [(1, "3.2"), (1, "3.4"), (1, "9.9")]

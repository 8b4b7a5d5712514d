"""R1: deployed code has unit tests, and CI gates on coverage >= the registry's minimum."""

from __future__ import annotations

import ast
import configparser
import posixpath
import shlex
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from architect_k.audit.ci import ci_files, steps
from architect_k.audit.model import Hit, Rule
from architect_k.audit.repo import Repo, is_test_path
from architect_k.audit.shell import split_commands

GATE_FLAGS = ("--cov-fail-under", "--fail-under")
NOT_DEPLOYED = frozenset({"setup.py", "noxfile.py", "conftest.py", "manage.py"})
NOT_DEPLOYED_DIRS = frozenset(
    {"docs", "doc", "bench", "benchmarks", "examples", "notebooks", "samples", "hack", ".github"}
    | {".devcontainer", "scripts", "hooks"}
)
# What makes code a deployed service: a serving framework, or a module named as an entry point.
SERVING_IMPORTS = frozenset(
    {"fastapi", "flask", "starlette", "uvicorn", "gunicorn", "bentoml", "litserve", "kserve"}
    | {"ray.serve", "aiohttp.web", "grpc", "tornado", "sanic", "mlserver"}
)
SERVER_STEMS = frozenset({"serve", "server", "app", "api", "wsgi", "asgi", "service", "predict"})
WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "InferenceService", "DaemonSet"})
TEST_RUNNERS = frozenset({"pytest", "py.test", "coverage", "tox", "nox", "hatch"})


@dataclass(frozen=True)
class Gate:
    """A coverage threshold and where it is declared."""

    path: str
    line: int
    value: float


def _gates_in_tokens(tokens: list[str], path: str, line: int) -> Iterator[Gate]:
    for i, tok in enumerate(tokens):
        for flag in GATE_FLAGS:
            raw: str | None = None
            if tok.startswith(flag + "="):
                raw = tok.split("=", 1)[1]
            elif tok == flag and i + 1 < len(tokens):
                raw = tokens[i + 1]
            if raw is not None:
                try:
                    yield Gate(path, line, float(raw))
                except ValueError:
                    continue


def _tokens(text: str) -> list[str]:
    try:
        return shlex.split(text, comments=True)
    except ValueError:
        return text.split()


def _config_gates(repo: Repo) -> Iterator[Gate]:
    for rel in repo.files:
        base = posixpath.basename(rel)
        if base == "pyproject.toml":
            try:
                data: dict[str, Any] = tomllib.loads(repo.text(rel) or "")
            except tomllib.TOMLDecodeError:
                continue
            tool = data.get("tool") or {}
            report = (tool.get("coverage") or {}).get("report") or {}
            line = _line_with(repo, rel, "fail_under")
            if "fail_under" in report:
                yield Gate(rel, line, float(report["fail_under"]))
            addopts = ((tool.get("pytest") or {}).get("ini_options") or {}).get("addopts")
            if addopts:
                text = addopts if isinstance(addopts, str) else " ".join(addopts)
                yield from _gates_in_tokens(_tokens(text), rel, _line_with(repo, rel, "addopts"))
        elif base in {"setup.cfg", "tox.ini", ".coveragerc", "pytest.ini"}:
            parser = configparser.ConfigParser(interpolation=None)
            try:
                parser.read_string(repo.text(rel) or "")
            except configparser.Error:
                continue
            for section in parser.sections():
                if section in {"report", "coverage:report"} and parser.has_option(
                    section, "fail_under"
                ):
                    yield Gate(
                        rel,
                        _line_with(repo, rel, "fail_under"),
                        float(parser.get(section, "fail_under")),
                    )
                for option in ("addopts", "commands"):
                    if parser.has_option(section, option):
                        yield from _gates_in_tokens(
                            _tokens(parser.get(section, option)), rel, _line_with(repo, rel, option)
                        )
        elif base in {"Makefile", "makefile", "GNUmakefile", "justfile"}:
            for number, line_text in enumerate(repo.lines(rel), start=1):
                yield from _gates_in_tokens(_tokens(line_text), rel, number)
        elif base == "noxfile.py":
            mod = repo.module(rel)
            if mod is None:
                continue
            for node in ast.walk(mod.tree):
                if isinstance(node, ast.Call):
                    args = [
                        a.value
                        for a in node.args
                        if isinstance(a, ast.Constant) and isinstance(a.value, str)
                    ]
                    yield from _gates_in_tokens(args, rel, node.lineno)


def _line_with(repo: Repo, rel: str, needle: str) -> int:
    return next((i for i, t in enumerate(repo.lines(rel), 1) if needle in t), 1)


def _runs_tests(cmd: list[str]) -> bool:
    words = [w.rpartition("/")[2] for w in cmd]
    if not words:
        return False
    if words[0] in TEST_RUNNERS:
        return True
    if words[0].startswith("python") and len(words) > 2 and words[1] == "-m":
        return words[2] in TEST_RUNNERS
    if words[0] in {"uv", "poetry", "pdm", "hatch", "pipenv"} and "run" in words[:2]:
        return _runs_tests(words[words.index("run") + 1 :])
    return words[0] == "make" and any("test" in w or "cov" in w or w == "check" for w in words[1:])


def _shipped(rel: str) -> bool:
    """Not documentation, samples, CI helpers, dev tooling or an unrendered template."""
    parts = rel.split("/")
    return (
        not is_test_path(rel)
        and parts[-1] not in NOT_DEPLOYED
        and not any(p in NOT_DEPLOYED_DIRS for p in parts[:-1])
        and "{{" not in rel
    )


def _deployed(repo: Repo) -> str | None:
    """The artefact that makes the repository deployable, or None for a library, a template,
    a research or notebook repository: a service image (a Dockerfile that is not a Jupyter
    workstation), a workload manifest, or a server module (a serving framework imported, or a
    module named like an entry point: serve.py, app.py, api.py)."""
    for rel in repo.dockerfiles:
        if _shipped(rel) and "jupyter" not in (repo.text(rel) or "").lower():
            return rel
    for rel, doc in repo.k8s_docs():
        if doc.get("kind") in WORKLOAD_KINDS and _shipped(rel):
            return rel
    for rel in repo.python:
        if not rel.endswith(".py") or not _shipped(rel) or rel.endswith("_pb2.py"):
            continue
        if posixpath.basename(rel)[:-3] in SERVER_STEMS:
            return rel
        mod = repo.module(rel)
        if mod is not None and any(
            v in SERVING_IMPORTS or v.rpartition(".")[0] in SERVING_IMPORTS
            for v in mod.imports.values()
        ):
            return rel
    return None


def _other_language_tests(repo: Repo) -> bool:
    """Go (``*_test.go`` with ``func Test``) and JS/TS (``*.test.ts``, ``*.spec.js``) suites."""
    for rel in repo.files:
        base = posixpath.basename(rel)
        if base.endswith("_test.go") and "func Test" in (repo.text(rel) or ""):
            return True
        if (".test." in base or ".spec." in base) and base.endswith((".js", ".ts", ".tsx")):
            return True
    return False


def _has_tests(repo: Repo) -> bool:
    for rel in repo.python:
        if not is_test_path(rel):
            continue
        mod = repo.module(rel)
        if mod is None:
            continue
        for node in mod.nodes(ast.FunctionDef, ast.AsyncFunctionDef):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name.startswith(
                "test"
            ):
                return True
    return _other_language_tests(repo)


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Tests must exist, CI must run them, and every declared gate must meet the minimum."""
    minimum = float(rule.params.get("min_coverage", 0))
    target = _deployed(repo)
    if target is None:
        return
    if not _has_tests(repo):
        # One root cause: without tests a missing CI gate is the same finding, not another.
        yield Hit(target, 1, f"`{target}` is deployable and the repository has no unit tests")
        return
    gates: list[Gate] = []
    ci_test_run: tuple[str, int] | None = None
    ci_tools: set[str] = set()
    for rel in ci_files(repo):
        for step in steps(repo, rel):
            for cmd in split_commands(step.run):
                if _runs_tests(cmd) and ci_test_run is None:
                    ci_test_run = (rel, step.line)
                ci_tools.update(w.rpartition("/")[2] for w in cmd[:3])
                gates.extend(_gates_in_tokens(cmd, rel, step.line))
    # A gate counts only where CI runs it: a Makefile's --cov-fail-under binds when CI runs
    # make, a noxfile's when it runs nox, tox.ini's when it runs tox; pyproject/setup.cfg/
    # .coveragerc/pytest.ini are read by pytest and coverage themselves.
    runner = {"Makefile": "make", "makefile": "make", "GNUmakefile": "make", "justfile": "just"}
    runner |= {"noxfile.py": "nox", "tox.ini": "tox"}
    gates.extend(
        g
        for g in _config_gates(repo)
        if runner.get(posixpath.basename(g.path)) in ci_tools | {None}
    )
    if ci_test_run is None:
        yield Hit(target, 1, "no CI pipeline runs the tests under a coverage gate")
        return
    if not gates:
        yield Hit(
            ci_test_run[0],
            ci_test_run[1],
            "CI runs the tests without a coverage gate "
            f"(no --cov-fail-under / fail_under >= {minimum:g})",
        )
        return
    for gate in gates:
        if gate.value < minimum:
            yield Hit(
                gate.path,
                gate.line,
                f"coverage gate is {gate.value:g} %, below the required {minimum:g} %",
            )

"""Shell command parsing for install steps (Dockerfile RUN, CI ``run:``), via ``shlex``."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from dataclasses import dataclass, field

_SEPARATORS = frozenset({"&&", "||", ";", "|", "&"})
# pip options that consume the next argument; everything else starting with '-' is a flag.
_PIP_ARG_OPTS = frozenset(
    {
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "--prefix",
        "--root",
        "--platform",
        "--python-version",
        # uv pip options that take a value (--index-strategy unsafe-best-match, --torch-backend cpu)
        "--index-strategy",
        "--torch-backend",
        "--resolution",
        "--prerelease",
        "--index",
        "--default-index",
        "--keyring-provider",
        "--link-mode",
        "--python-platform",
        "--exclude-newer",
        "--reinstall-package",
        "--upgrade-package",
        "-P",
        "--no-build-isolation-package",
        "--config-file",
        "--overrides",
        "--build-constraints",
        "--implementation",
        "--abi",
        "--only-binary",
        "--no-binary",
        "--progress-bar",
        "--cache-dir",
        "--src",
        "--upgrade-strategy",
        "--trusted-host",
        "--timeout",
        "--retries",
        "--python",
        "--config-settings",
        "-C",
        "--global-option",
        "--log",
        "--report",
        "--proxy",
        "--cert",
        "--client-cert",
        "--exists-action",
        "--root-user-action",
    }
)
# Installer bootstrap packages are tooling, not the application's dependencies.
BOOTSTRAP = frozenset({"pip", "setuptools", "wheel", "uv", "pip-tools"})
_ASSIGN = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*=")
_NAME = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*(.*)$")


@dataclass
class PipInstall:
    """One ``pip install`` invocation, decoded."""

    requirement_files: list[str] = field(default_factory=list)
    constraint_files: list[str] = field(default_factory=list)
    packages: list[str] = field(default_factory=list)
    local: list[str] = field(default_factory=list)
    no_deps: bool = False


def split_commands(script: str) -> Iterator[list[str]]:
    """Tokenise a shell script into simple commands (line continuations joined)."""
    script = script.replace("\\\n", " ")
    for raw_line in script.splitlines():
        try:
            lexer = shlex.shlex(raw_line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            lexer.commenters = "#"
            tokens = list(lexer)
        except ValueError:
            tokens = raw_line.split()
        cmd: list[str] = []
        for tok in tokens:
            if tok in _SEPARATORS or set(tok) <= set(";&|"):
                if cmd:
                    yield cmd
                cmd = []
            else:
                cmd.append(tok)
        if cmd:
            yield cmd


def pip_install(cmd: list[str]) -> PipInstall | None:
    """Decode ``pip install``, ``python -m pip install``, ``uv pip install``; else ``None``."""
    words = list(cmd)
    # Drop leading ``VAR=value`` assignments, ``env`` and ``sudo``.
    while words and (words[0] in {"sudo", "env"} or _ASSIGN.match(words[0])):
        words = words[1:]
    idx = None
    for i, word in enumerate(words[:-1]):
        base = word.rpartition("/")[2]
        if re.fullmatch(r"pip[0-9.]*", base) and words[i + 1] == "install":
            idx = i + 2
            break
        if base == "uv" and words[i + 1 : i + 3] == ["pip", "install"]:
            idx = i + 3
            break
    if idx is None:
        return None
    out = PipInstall()
    args = words[idx:]
    i = 0
    while i < len(args):
        arg = args[i]
        nxt = args[i + 1] if i + 1 < len(args) else ""
        if "${{" in arg and not arg.endswith("}}"):
            # A CI expression split by the shell (`pkg.git@${{ github.sha }}`): its words are
            # part of this argument, not packages.
            j = i + 1
            while j < len(args) and not args[j].endswith("}}"):
                j += 1
            args[i : j + 1] = [" ".join(args[i : j + 1])]
            arg = args[i]
        if arg.startswith("${{"):  # an expression standing alone is not a package either
            i += 1
            continue
        if arg in {"-r", "--requirement"}:
            out.requirement_files.append(nxt)
            i += 2
            continue
        if arg.startswith("--requirement=") or (arg.startswith("-r") and len(arg) > 2):
            out.requirement_files.append(arg.split("=", 1)[1] if "=" in arg else arg[2:])
        elif arg in {"-c", "--constraint"}:
            out.constraint_files.append(nxt)
            i += 2
            continue
        elif arg.startswith("--constraint="):
            out.constraint_files.append(arg.split("=", 1)[1])
        elif arg in {"-e", "--editable"}:
            out.local.append(nxt)
            i += 2
            continue
        elif arg == "--no-deps":
            out.no_deps = True
        elif arg in _PIP_ARG_OPTS:
            i += 2
            continue
        elif arg.startswith("-"):
            pass
        elif _is_local(arg):
            out.local.append(arg)
        else:
            out.packages.append(arg)
        i += 1
    return out


def _is_local(arg: str) -> bool:
    return (
        arg in {".", ".."}
        or arg.startswith(("./", "../", "/", "file:"))
        or arg.endswith((".whl", ".tar.gz", ".zip"))
        or (arg.startswith(".[") and arg.endswith("]"))
    )


def requirement_pinned(spec: str) -> bool | None:
    """True for ``name==1.2.3`` (or a direct URL); False for ranges or bare names.

    ``None`` when the spec is not a requirement at all (a variable, an option).
    """
    spec = spec.split(";", 1)[0].strip()
    if not spec or spec.startswith(("$", "-")):
        return None
    if "://" in spec or " @ " in spec or re.match(r"^[A-Za-z0-9._-]+(\[[^\]]*\])?\s*@", spec):
        return True
    match = _NAME.match(spec)
    if not match:
        return None
    rest = match.group(3).strip()
    if rest.startswith("==="):
        return True
    return rest.startswith("==") and "*" not in rest and "," not in rest


def requirement_name(spec: str) -> str:
    """The project name of a requirement spec, lower-cased."""
    match = _NAME.match(spec.strip())
    return match.group(1).lower() if match else spec.lower()

"""R7: CUDA training must profile GPU memory; CPU-only training is exempt."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator

from architect_k.audit.model import Hit, Rule
from architect_k.audit.pyast import PyModule, int_value, last
from architect_k.audit.reach import calls, context, trains, uses_torch
from architect_k.audit.repo import Repo
from architect_k.audit.yamlio import line_of

_DEVICE = re.compile(r"^(?:cuda|gpu)(?::\d+)?$")
TORCH_WORDS = ("torch", "lightning", "transformers", "accelerate", "cuda")
MEMORY_CALLS = frozenset(
    {
        "memory_summary",
        "memory_allocated",
        "max_memory_allocated",
        "memory_reserved",
        "max_memory_reserved",
        "memory_stats",
        "memory_snapshot",
        "mem_get_info",
        "reset_peak_memory_stats",
        "_record_memory_history",
        "list_gpu_processes",
        "nvmlDeviceGetMemoryInfo",
        "DeviceStatsMonitor",
    }
)


def _strings(nodes: list[tuple[PyModule, ast.AST]]) -> Iterator[str]:
    docs = set()
    for _, node in nodes:
        for sub in ast.walk(node):
            body = getattr(sub, "body", None)
            if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
                docs.add(id(body[0].value))
    for _, node in nodes:
        for sub in ast.walk(node):
            if isinstance(sub, ast.Constant) and isinstance(sub.value, str) and id(sub) not in docs:
                yield sub.value


def uses_cuda(nodes: list[tuple[PyModule, ast.AST]]) -> bool:
    """A CUDA device is requested somewhere in the code."""
    if any(_DEVICE.match(s.strip().lower()) or s == "nccl" for s in _strings(nodes)):
        return True
    for _, call, name in calls(nodes):
        if last(name) == "cuda" and not call.args and isinstance(call.func, ast.Attribute):
            return True
        if name in {"torch.cuda.set_device", "torch.cuda.device"}:
            return True
        for kw in call.keywords:
            if kw.arg == "gpus" and (int_value(kw.value) or 0) > 0:
                return True
    return False


def profiles_memory(nodes: list[tuple[PyModule, ast.AST]]) -> bool:
    """A memory profiling call is reachable."""
    for _, call, name in calls(nodes):
        if last(name) in MEMORY_CALLS:
            return True
        if (
            last(name) == "profile"
            and "profiler" in name
            and any(
                kw.arg == "profile_memory"
                and not (isinstance(kw.value, ast.Constant) and kw.value.value is False)
                for kw in call.keywords
            )
        ):
            return True
    return False


def _gpu_configs(repo: Repo) -> list[tuple[str, int]]:
    """Trainer configs (Hydra/Lightning YAML, not Kubernetes objects) that select a GPU:
    ``accelerator: gpu`` / ``cuda``, or ``gpus: N`` with N > 0."""
    found = []
    for rel in repo.yaml:
        text = repo.text(rel) or ""
        if "accelerator" not in text and "gpus" not in text:
            continue
        for doc in repo.yaml_docs(rel):
            if not isinstance(doc, dict) or "apiVersion" in doc:
                continue
            accel = str(doc.get("accelerator", "")).lower()
            gpus = doc.get("gpus")
            if accel in {"gpu", "cuda"}:
                found.append((rel, line_of(doc, "accelerator")))
            elif isinstance(gpus, int) and not isinstance(gpus, bool) and gpus > 0:
                found.append((rel, line_of(doc, "gpus")))
    return found


def _config_profiles_memory(repo: Repo) -> bool:
    return any(
        "DeviceStatsMonitor" in (repo.text(rel) or "") or "profile_memory" in (repo.text(rel) or "")
        for rel in repo.yaml
    )


def check(repo: Repo, rule: Rule) -> Iterator[Hit]:
    """Each torch module that trains on CUDA needs a reachable memory profiling call; GPU
    training selected in config (Hydra ``accelerator: gpu``) needs profiling somewhere."""
    trainers = profiled = False
    for rel, mod in repo.source_modules(TORCH_WORDS):
        own: list[tuple[PyModule, ast.AST]] = [(mod, mod.tree)]
        if not uses_torch(own) or not trains(own):
            continue
        trainers = True
        nodes = context(repo, mod)
        profiled = profiled or profiles_memory(nodes)
        if uses_cuda(nodes) and not profiles_memory(nodes):
            yield Hit(rel, 1, f"`{rel}` trains on CUDA with no GPU memory profiling")
    if not trainers or profiled or _config_profiles_memory(repo):
        return
    configs = sorted(_gpu_configs(repo))
    if configs:
        (rel, line), others = configs[0], [p for p, _ in configs[1:]]
        also = f"; also {', '.join(others)}" if others else ""
        yield Hit(
            rel,
            line,
            f"`{rel}` selects GPU training for the torch trainers and nothing in the "
            f"repository profiles GPU memory{also}",
        )

"""``architect-k audit``: the R1-R12 rule engine for ML repositories.

The core imports only the standard library and PyYAML: copier runs it as a post-render task in
its own interpreter.
"""

from __future__ import annotations

from architect_k.audit.engine import run_audit
from architect_k.audit.model import AuditResult, Finding, Rule
from architect_k.audit.registry import load_rules
from architect_k.audit.repo import RepoError
from architect_k.cliargs import UsageError

__all__ = ["AuditResult", "Finding", "RepoError", "Rule", "UsageError", "load_rules", "run_audit"]

"""architect-k: a Copier template and rule engine for production ML services."""

from pathlib import Path

__version__ = "0.1.0"

#: The template repository root when running from a checkout or an editable install.
REPO_ROOT = Path(__file__).resolve().parents[2]
#: rules.yaml and scars.jsonl: the checkout's copy, else the one an installed package carries.
SCAR_LEDGER_DIR = (
    REPO_ROOT / "scar_ledger"
    if (REPO_ROOT / "scar_ledger" / "rules.yaml").is_file()
    else Path(__file__).resolve().parent / "scar_ledger"
)

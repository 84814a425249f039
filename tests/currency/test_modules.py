"""Every currency module declares its surface, the names stay importable where callers
import them from (the ledger and the sandbox are split across modules), and a ledger
loads no sandbox."""

import importlib
import pkgutil
import subprocess
import sys

import api.currency
from tests.currency.conftest import REPO

LEDGER_NAMES = [
    "CurrencyEntryRow", "CurrencyWebhookEventRow", "Discrepancy", "DiscrepancyKind", "Ledger",
    "LedgerEntry", "ReconcileReport", "ResumeReport", "new_idempotency_key",
]  # fmt: skip


def _modules() -> list[str]:
    return [info.name for info in pkgutil.iter_modules(api.currency.__path__, "api.currency.")]


def test_every_module_declares_a_surface_that_exists() -> None:
    for name in _modules():
        module = importlib.import_module(name)
        assert module.__doc__, f"{name} has no docstring"
        exported = getattr(module, "__all__", None)
        assert exported is not None, f"{name} declares no __all__"
        missing = [attribute for attribute in exported if not hasattr(module, attribute)]
        assert missing == [], f"{name}.__all__ names missing {missing}"


def test_the_ledger_module_keeps_its_names() -> None:
    ledger = importlib.import_module("api.currency.ledger")
    assert ledger.__all__ == LEDGER_NAMES
    for name in LEDGER_NAMES:
        assert getattr(ledger, name) is getattr(api.currency, name), name


def test_the_sandbox_module_keeps_its_names() -> None:
    sandbox = importlib.import_module("api.currency.sandbox")
    assert sandbox.__all__ == ["SandboxConfig", "create_app"]
    assert callable(sandbox.create_app)
    assert sandbox.SandboxConfig.__name__ == "SandboxConfig"


def test_a_ledger_loads_no_sandbox() -> None:
    probe = (
        "import sys, api.currency; "
        "print(sorted(m for m in sys.modules "
        "if m == 'fastapi' or m.startswith('api.currency.sandbox')))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

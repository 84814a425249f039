"""No charge is applied twice or lost when the process dies mid-request: a child process
charging through the ledger is SIGKILLed, and a fresh process resumes it.

Three moments of death, each on SQLite and PostgreSQL:

* while the platform holds the answer (it applied the charge; the caller never heard);
* before the request reached the platform (only the pending row exists);
* the latter, then two resumers at once.
"""

import json
import signal
import subprocess
import sys
import uuid
from datetime import datetime
from pathlib import Path

from sqlalchemy import Engine

from api.currency import Ledger, LedgerEntry, PlatformClient, TransactionStatus
from tests.currency.conftest import REPO, Sandbox, wait_for


def _spawn(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.currency.child", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(child: subprocess.Popen[str]) -> None:
    child.send_signal(signal.SIGKILL)
    child.communicate(timeout=10)
    assert child.returncode == -signal.SIGKILL


def _entry(engine: Engine, platform: Sandbox, key: str) -> LedgerEntry | None:
    with PlatformClient(platform.config()) as client:
        return Ledger(engine, client).by_key(key)


class Resumers:
    """Fresh processes that run ``resume_pending()`` together once :meth:`go` is called.

    They start at once, so they import while the charging child runs and dies.
    """

    def __init__(self, database_url: str, platform: Sandbox, folder: Path, count: int) -> None:
        self._go = folder / "go"
        self._ready = [folder / f"ready-{i}" for i in range(count)]
        self._processes = [
            _spawn("resume", database_url, platform.url, str(flag), str(self._go))
            for flag in self._ready
        ]

    def go(self) -> list[list[str]]:
        """Start them all at the same moment; the entry ids each settled."""
        wait_for(lambda: all(flag.exists() for flag in self._ready), what="the resumers")
        self._go.touch()
        settled = []
        for process in self._processes:
            out, errors = process.communicate(timeout=60)
            assert process.returncode == 0, errors
            settled.append(list(json.loads(out)["settled"]))
        return settled


def _kill_before_send(
    database_url: str, engine: Engine, platform: Sandbox, black_hole: str, account: str
) -> str:
    """Charge 3,000 yen through a child whose request never reaches the platform; kill it
    once its pending row is committed. The key."""
    key = f"kill-{uuid.uuid4()}"
    child = _spawn("charge", database_url, black_hole, key, account, "3000")
    wait_for(lambda: _entry(engine, platform, key) is not None, what="the pending row")
    _kill(child)
    entry = _entry(engine, platform, key)
    assert entry is not None
    assert entry.status == TransactionStatus.PENDING
    assert platform.client.requests_for(key) == []  # the platform never heard of it
    return key


def _assert_charged_once(
    engine: Engine, platform: Sandbox, key: str, account: str, *, left_yen: int
) -> LedgerEntry:
    assert platform.client.wallet(account).balance_yen == left_yen
    log = platform.client.requests_for(key)
    assert [r["outcome"] for r in log].count("applied") == 1
    entry = _entry(engine, platform, key)
    assert entry is not None
    assert entry.status == TransactionStatus.SUCCEEDED
    with PlatformClient(platform.config()) as client:
        applied = client.get_transaction(str(entry.platform_transaction_id))
    assert (applied.idempotency_key, applied.amount_yen) == (key, entry.amount_yen)
    return entry


def test_killed_while_the_platform_holds_the_answer(
    database_url: str, engine: Engine, platform: Sandbox, tmp_path: Path
) -> None:
    account, key = platform.funded_account(10_000), f"kill-{uuid.uuid4()}"
    platform.client.set_answer_delay(20.0)
    child = _spawn("charge", database_url, platform.url, key, account, "4000")
    resumer = Resumers(database_url, platform, tmp_path, 1)
    wait_for(
        lambda: any(r["held"] for r in platform.client.requests_for(key)),
        what="the sandbox to hold the charge's answer",
    )
    _kill(child)
    platform.client.set_answer_delay(0.0)
    # the platform applied it; the ledger, whose caller died, still has it pending
    assert platform.client.wallet(account).balance_yen == 6_000
    entry = _entry(engine, platform, key)
    assert entry is not None
    assert entry.status == TransactionStatus.PENDING

    assert resumer.go() == [[entry.id]]

    settled = _assert_charged_once(engine, platform, key, account, left_yen=6_000)
    assert settled.attempts == 2
    assert [r["outcome"] for r in platform.client.requests_for(key)] == ["applied", "replayed"]


def test_killed_before_the_request_left(
    database_url: str, engine: Engine, platform: Sandbox, black_hole: str, tmp_path: Path
) -> None:
    account = platform.funded_account(10_000)
    resumer = Resumers(database_url, platform, tmp_path, 1)
    key = _kill_before_send(database_url, engine, platform, black_hole, account)
    assert platform.client.wallet(account).balance_yen == 10_000

    assert len(resumer.go()[0]) == 1

    _assert_charged_once(engine, platform, key, account, left_yen=7_000)
    assert [r["outcome"] for r in platform.client.requests_for(key)] == ["applied"]


def test_two_resumers_at_once_charge_once(
    database_url: str, engine: Engine, platform: Sandbox, black_hole: str, tmp_path: Path
) -> None:
    account = platform.funded_account(10_000)
    resumers = Resumers(database_url, platform, tmp_path, 2)
    key = _kill_before_send(database_url, engine, platform, black_hole, account)
    hold_s = 1.5
    platform.client.set_answer_delay(hold_s)  # both requests are at the platform together
    settled = resumers.go()

    entry = _assert_charged_once(engine, platform, key, account, left_yen=7_000)
    assert settled == [[entry.id], [entry.id]]
    log = platform.client.requests_for(key)
    assert sorted(r["outcome"] for r in log) == ["applied", "replayed"]
    first, second = (datetime.fromisoformat(r["received_at"]) for r in log)
    assert (second - first).total_seconds() < hold_s  # the second came while the first was held

"""Fixtures of the HTTP API tests: the app on a real server, on SQLite and PostgreSQL."""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import Engine

from api.accounts import Role, create_account, issue_token
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.deps import Services
from api.serving import serving
from core.clock import FakeClock


def until(check: Callable[[], Any], within_s: float, what: str) -> Any:
    """``check()``'s first truthy answer, asked every 0.1 s; fails after ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"not within {within_s} s: {what}")


@dataclass
class Api:
    """A running API, its database and a way to act as someone."""

    base_url: str
    engine: Engine
    clock: FakeClock
    services: Services
    clients: list[httpx.Client] = field(default_factory=list)

    def person(self, *roles: Role, name: str = "someone") -> tuple[str, httpx.Client]:
        """A new account with ``roles`` and an HTTP client carrying its token."""
        account = create_account(self.engine, display_name=name, roles=roles, clock=self.clock)
        # Long-lived, so tests that move the clock by days keep their callers.
        token = issue_token(
            self.engine, account.id, clock=self.clock, ttl=timedelta(days=60)
        ).access_token
        return account.id, self.client(token)

    def client(self, token: str | None = None) -> httpx.Client:
        """An HTTP client for the API, with a bearer token if given."""
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        client = httpx.Client(base_url=self.base_url, headers=headers, timeout=30)
        self.clients.append(client)
        return client


@pytest.fixture
def api(database_url: str, tmp_path: Path) -> Iterator[Api]:
    """The API on this test's own database, served over HTTP on loopback."""
    engine = connect(database_url)
    migrate(engine)
    clock = FakeClock(datetime(2026, 6, 1, 0, 0, tzinfo=UTC))
    settings = load_settings(data_dir=tmp_path / "data", database_url=database_url)
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False)
    with serving(app) as base_url:
        running = Api(base_url=base_url, engine=engine, clock=clock, services=app.state.services)
        yield running
        for client in running.clients:
            client.close()
    engine.dispose()

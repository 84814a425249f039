"""A delivery service with the demo's world registered, charging through the currency
sandbox (a real HTTP server, as in tests/currency): ``world`` on SQLite, ``stored_world`` on
SQLite and PostgreSQL for what the storage decides."""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from api.accounts import create_account
from api.currency import Ledger, PlatformClient
from api.db import connect, migrate
from api.demo.delivery_world import DROP_POINTS, build_world
from api.logistics.service import DeliveryService
from core.clock import FakeClock
from tests.currency.conftest import Sandbox, platform, sandbox  # noqa: F401 (fixtures)

START = datetime(2026, 6, 1, 0, 0, tzinfo=UTC)  # 09:00 in Kasai


@dataclass
class World:
    service: DeliveryService
    clock: FakeClock
    sandbox: Sandbox
    pharmacy: str
    """A funded wallet: the pharmacy's account."""
    residents: dict[str, str]
    """Drop point id → the account of the resident who receives there."""


@contextmanager
def _world(engine: Engine, platform: Sandbox) -> Iterator[World]:  # noqa: F811
    clock = FakeClock(START)
    with PlatformClient(platform.config()) as client:
        service = DeliveryService(engine=engine, clock=clock, ledger=Ledger(engine, client))
        build_world(engine, service, clock=clock)
        residents = {
            drop.id: create_account(engine, display_name=f"resident at {drop.id}", roles=[]).id
            for drop in DROP_POINTS
        }
        yield World(service=service, clock=clock, sandbox=platform,
                    pharmacy=platform.funded_account(20_000), residents=residents)  # fmt: skip


@pytest.fixture
def world(sqlite_url: str, platform: Sandbox) -> Iterator[World]:  # noqa: F811
    """The world on SQLite: for what does not depend on the database."""
    engine = connect(sqlite_url)
    migrate(engine)
    with _world(engine, platform) as made:
        yield made
    engine.dispose()


@pytest.fixture
def stored_world(engine: Engine, platform: Sandbox) -> Iterator[World]:  # noqa: F811
    """The world on SQLite and on PostgreSQL in turn: for what the storage decides
    (unique keys, versioned writes, row locks)."""
    with _world(engine, platform) as made:
        yield made

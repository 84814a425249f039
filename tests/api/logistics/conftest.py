"""A delivery service on SQLite and PostgreSQL with the demo's world registered, charging
through the currency sandbox (a real HTTP server, as in tests/currency)."""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from sqlalchemy import Engine

from api.accounts import create_account
from api.currency import Ledger, PlatformClient
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


@pytest.fixture
def world(engine: Engine, platform: Sandbox) -> Iterator[World]:  # noqa: F811
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

"""Fixtures of the city data platform tests: the fake NGSI-LD broker, the small city."""

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from tests.api.city_platform.city import City, make_city
from tests.api.city_platform.fake_broker import FakeBroker, fake_broker


@pytest.fixture
def broker() -> Iterator[FakeBroker]:
    """A fake NGSI-LD broker on a loopback port."""
    with fake_broker() as running:
        yield running


@pytest.fixture
def city(engine: Engine) -> City:
    """The small city on SQLite and on PostgreSQL."""
    return make_city(engine)

"""``tanbo serve`` publishes to the city's broker by itself: every round while it leads,
with the tenant and token the settings give, a withdrawn consent deleted at the next
round, and a broker that is away only logged (the next round tries again)."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from api.accounts import withdraw_city_data_consent
from api.app import create_app
from api.city_platform.scheduled import CityPublisher
from api.config import load_settings
from api.db import connect, migrate
from api.serving import serving
from tests.api.city_platform.city import City
from tests.api.city_platform.fake_broker import FakeBroker
from tests.api.city_platform.test_publish import urn
from tests.api.conftest import until


@pytest.fixture
def engine(sqlite_url: str) -> Iterator[Engine]:
    """SQLite only: publishing reads both databases alike (test_publish runs on both); what
    is tested here is the service's schedule."""
    made = connect(sqlite_url)
    migrate(made)
    yield made
    made.dispose()


@pytest.fixture
def served(
    tmp_path: Path, sqlite_url: str, engine: Engine, city: City, broker: FakeBroker
) -> Iterator[CityPublisher]:
    settings = load_settings(
        data_dir=tmp_path / "data", database_url=sqlite_url, scheduler_tick_s=0.3,
        city_broker_url=broker.base_url, city_id_prefix="kasai", city_broker_tenant="kasai",
        city_broker_token="s3cret", city_publish_every_min=0.01, fleet_watch=False,
    )  # fmt: skip
    app = create_app(settings, engine=engine, clock=city.clock, migrate_schema=False,
                     background=True)  # fmt: skip
    with serving(app):
        publisher: CityPublisher = app.state.services.extras["city_publisher"]
        publisher.publish_now()  # (its own first round comes 10 s after the start)
        yield publisher


def test_the_service_publishes_every_round_with_its_tenant_and_token(
    served: CityPublisher, engine: Engine, city: City, broker: FakeBroker
) -> None:
    parcel = urn("AgriParcel", "A-1")
    assert parcel in broker.entities
    assert set(broker.tenants) == {"kasai"}
    assert set(broker.authorizations) == {"Bearer s3cret"}
    rounds = served.rounds
    until(lambda: served.rounds >= rounds + 2, 20, "two more rounds, 0.6 s apart")
    # The farmer withdraws consent: the next round deletes the farmer's parcel.
    city.clock.advance(86_400)
    withdraw_city_data_consent(engine, city.farmer, clock=city.clock)
    until(lambda: parcel not in broker.entities, 20, "the withdrawn parcel deleted")
    assert any(parcel in batch for batch in broker.deletions)


def test_a_broker_away_is_logged_and_the_next_round_tries_again(
    served: CityPublisher, broker: FakeBroker, caplog: pytest.LogCaptureFixture
) -> None:
    broker.fail_with = 503
    until(lambda: "not published this round" in caplog.text, 20, "the failed round logged")
    done = served.rounds
    broker.fail_with = None
    until(lambda: served.rounds > done, 20, "a round after the broker is back")
    assert served.last is not None
    assert urn("AgriParcel", "A-1") in served.last.sent
    # (A-2, with no crop, is refused by its Smart Data Model every round: named, not sent.)
    assert [r.entity_id for r in served.last.refused] == [urn("AgriParcel", "A-2")]

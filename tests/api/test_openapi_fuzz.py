"""schemathesis against the OpenAPI document: no 5xx and no answer that breaks the schema.

Bounded for CI: a few examples per operation, as a farmer and as city staff, on one
database with fields, zones, a vehicle and a mission to act on.
"""

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import BaseSchema

from api import fleet_store, registry
from api.accounts import Role, create_account, issue_token
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.serving import serving
from core.clock import FakeClock
from tests.fleet.test_registry import sprayer_drone

TOKENS: dict[str, str] = {}


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory, sample_data: Path) -> Iterator[BaseSchema]:
    folder = tmp_path_factory.mktemp("fuzz")
    url = f"sqlite:///{folder / 'tanbo.db'}"
    engine = connect(url)
    migrate(engine)
    clock = FakeClock(datetime(2026, 6, 1, tzinfo=UTC))
    farmer = create_account(engine, display_name="farmer", roles=[Role.FARMER], clock=clock)
    staff = create_account(
        engine, display_name="staff", roles=[Role.CITY_ADMIN, Role.OPERATOR], clock=clock
    )
    settings_ = load_settings(data_dir=folder, database_url=url)
    registry.import_fields(
        engine,
        sample_data / "kasai_benchmark_fields.geojson",
        settings_.import_options(owner=farmer.id),
    )
    fleet_store.add_vehicle(engine, sprayer_drone())
    for account in (farmer, staff):
        TOKENS[account.display_name] = issue_token(
            engine, account.id, clock=clock, ttl=timedelta(days=30)
        ).access_token
    app = create_app(settings_, engine=engine, clock=clock, migrate_schema=False)
    with serving(app) as base_url:
        yield schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    engine.dispose()


BOUNDED = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
    database=None,
)


@pytest.mark.parametrize("who", ["farmer", "staff"])
def test_every_operation_keeps_its_schema(api_schema: BaseSchema, who: str) -> None:
    # Driven here rather than by schemathesis's pytest plugin, which does not run on pytest 9.
    headers = {"Authorization": f"Bearer {TOKENS[who]}"}
    failures: list[str] = []
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 30
    for operation in operations:

        @BOUNDED
        @given(case=operation.as_strategy())
        def run(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers)

        try:
            run()
        except (Exception, BaseExceptionGroup) as exc:  # collected, then reported together
            failures.append(f"{operation.label}: {exc}")
    assert failures == []

"""Shared fixtures: databases (SQLite file and a real PostgreSQL), sample data, the CLI.

PostgreSQL is at TANBO_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/postgres);
``scripts/ensure-postgres`` starts it before the suite. Each test gets a database of its own,
copied from a migrated template, and dropped afterwards.
"""

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import make_url

from api.db import connect, migrate
from api.demo import DATA

POSTGRES_URL = os.environ.get(
    "TANBO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


@pytest.fixture(scope="session")
def sample_data() -> Path:
    """The folder of sample files shipped with Tanbo (api/demo/data)."""
    return DATA


def _admin() -> psycopg.Connection:
    try:
        return psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=5)
    except psycopg.OperationalError as exc:
        pytest.fail(
            f"PostgreSQL is not reachable at {POSTGRES_URL} ({exc}); run scripts/ensure-postgres",
            pytrace=False,
        )


def _url_for(database: str) -> str:
    return make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str]:
    """A migrated PostgreSQL database that each test's database is copied from."""
    name = f"tanbo_tmpl_{uuid.uuid4().hex[:10]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    engine = connect(_url_for(name))
    migrate(engine)
    engine.dispose()
    yield name
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url(postgres_template: str) -> Iterator[str]:
    """The URL of a fresh, migrated PostgreSQL database of this test's own."""
    name = f"tanbo_test_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{postgres_template}"')
    yield _url_for(name)
    with _admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    """The URL of a SQLite file of this test's own (migrated on first use)."""
    return f"sqlite:///{tmp_path / 'data' / 'tanbo.db'}"


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each storage test runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return str(request.getfixturevalue("sqlite_url"))
    return str(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """A migrated engine on SQLite and on PostgreSQL, in turn."""
    eng = connect(database_url)
    migrate(eng)
    yield eng
    eng.dispose()

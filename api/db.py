"""The database engine and its migrations (Alembic, run from the package).

SQLite by default (a file in the data directory, nothing to install);
PostgreSQL by URL (``postgresql://user@host/db``, driven by psycopg 3).
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, InterfaceError, OperationalError

from api.errors import ConfigError, StorageError

__all__ = ["as_utc", "aware", "connect", "insert_or_ignore", "migrate", "storage_errors"]

_MIGRATIONS = Path(__file__).with_name("migrations")


def _enable_sqlite_foreign_keys(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def connect(url: str) -> Engine:
    """An engine for ``url``; the SQLite file's folder is created if missing.

    Raises
    ------
    ConfigError
        The URL is not a database URL Tanbo can use.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database URL {url!r} is not a valid URL") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    elif backend == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    else:
        raise ConfigError(f"database {backend!r} is not supported; use sqlite or postgresql")
    engine = create_engine(parsed, pool_pre_ping=backend == "postgresql")
    if backend == "sqlite":
        event.listen(engine, "connect", _enable_sqlite_foreign_keys)
    return engine


@contextmanager
def storage_errors(
    error: type[StorageError] = StorageError, *, what: str = "the database"
) -> Iterator[None]:
    """Translate the database's errors into ``error`` (a :class:`StorageError`): the one
    boundary every store of the API goes through.

    Raises
    ------
    StorageError
        (or ``error``) naming whether the database was unreachable or refused the change.
    """
    try:
        yield
    except DBAPIError as exc:
        orig = getattr(exc, "orig", None)
        detail = str(orig if orig is not None else exc).strip().splitlines()[0]
        if isinstance(exc, OperationalError | InterfaceError):
            raise error(f"cannot reach {what}: {detail}") from exc
        raise error(f"{what} refused the change: {detail}") from exc


def as_utc(moment: datetime) -> datetime:
    """A time to store or compare in the database: aware, in UTC. SQLite keeps the wall-clock
    digits of what it is given and drops the offset, so a Japan-time bound would shift a query
    by nine hours; every bound goes through here first.

    >>> from zoneinfo import ZoneInfo
    >>> as_utc(datetime(2026, 6, 1, 9, 0, tzinfo=ZoneInfo("Asia/Tokyo"))).isoformat()
    '2026-06-01T00:00:00+00:00'

    Raises
    ------
    ValueError
        A time without a zone: which day it means is not known.
    """
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone (add Z or +09:00)")
    return moment.astimezone(UTC)


def insert_or_ignore(engine: Engine, table: Any) -> Any:
    """An INSERT that leaves a row whose key (primary or unique) is taken, on SQLite and
    PostgreSQL alike: the same reading or command again is the same one, kept once."""
    if engine.dialect.name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    return sqlite.insert(table).on_conflict_do_nothing()


def aware(moment: datetime) -> datetime:
    """A stored time as timezone-aware UTC: SQLite hands back naive datetimes, stored in UTC.

    >>> aware(datetime(2026, 6, 1, 9, 0)).isoformat()
    '2026-06-01T09:00:00+00:00'
    """
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default the newest).

    Raises
    ------
    StorageError
        The database cannot be reached.
    """
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    except OperationalError as exc:
        raise StorageError(f"cannot reach the database: {str(exc.orig).strip()}") from exc

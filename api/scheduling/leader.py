"""Electing one scheduler among several processes: whoever holds the lock leads.

- **PostgreSQL**: a session-level advisory lock (``pg_try_advisory_lock``) taken on a
  connection of its own and held for as long as the process leads. The server releases
  it when that session ends — a clean stop, a crash, a killed process — so a standby
  takes over at its next try. The leader checks its connection at every poll and steps
  down if it has gone (its lock went with it).
- **SQLite** (one machine): an exclusive ``flock`` on a file beside the database, which
  the kernel releases when the process dies. ``flock`` locks belong to the open file, so
  two schedulers in one process exclude each other too.

In the moment between a leader losing its lock and noticing, two schedulers may tick at
once; every change they make is compare-and-set (see :mod:`~api.scheduling.missions`),
so a mission is still dispatched once.
"""

import contextlib
import fcntl
import hashlib
import os
from pathlib import Path
from typing import IO, Protocol

from sqlalchemy import Connection, Engine, text

from api.scheduling.errors import LeaderLockError

__all__ = ["FileLeaderLock", "LeaderLock", "PostgresLeaderLock", "advisory_key", "leader_lock_for"]


class LeaderLock(Protocol):
    """A lock at most one scheduler holds at a time."""

    def try_acquire(self) -> bool:
        """Take the lock if it is free (never waits); True if this one holds it now."""
        ...

    def still_held(self) -> bool:
        """Whether this one still holds the lock (False once it has been lost)."""
        ...

    def release(self) -> None:
        """Let the lock go (nothing if not held)."""
        ...


def advisory_key(name: str) -> int:
    """The 64-bit advisory lock key of scheduler ``name`` (stable across processes).

    >>> advisory_key("tanbo") == advisory_key("tanbo") != advisory_key("other")
    True
    """
    digest = hashlib.sha256(f"tanbo.scheduler:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PostgresLeaderLock:
    """A PostgreSQL session advisory lock on a dedicated connection."""

    def __init__(self, engine: Engine, name: str) -> None:
        self._engine = engine
        self.key = advisory_key(name)
        self._connection: Connection | None = None

    def try_acquire(self) -> bool:
        """Take the advisory lock if no other session holds it."""
        if self._connection is not None:
            return self.still_held()
        connection = self._engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        try:
            got = connection.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}
            ).scalar_one()
        except BaseException:
            connection.close()
            raise
        if got:
            self._connection = connection
            return True
        connection.close()
        return False

    def still_held(self) -> bool:
        """Whether the lock's session is alive (the lock lives exactly as long)."""
        if self._connection is None:
            return False
        try:
            held = self._connection.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND objsubid = 1 "
                    "AND classid = CAST(:high AS oid) AND objid = CAST(:low AS oid)"
                ),
                {"high": (self.key >> 32) & 0xFFFFFFFF, "low": self.key & 0xFFFFFFFF},
            ).scalar_one()
        except Exception:  # the session is gone, whatever the driver calls it: so is the lock
            self._drop()
            return False
        if not held:
            self._drop()
        return bool(held)

    def release(self) -> None:
        """Unlock and close the connection."""
        if self._connection is None:
            return
        with contextlib.suppress(Exception):  # a dead session has released it already
            self._connection.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        self._drop()

    def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                connection.invalidate()  # never back to the pool with a lock or a dead socket
                connection.close()


class FileLeaderLock:
    """An exclusive ``flock`` on a file (a SQLite database's neighbour)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file: IO[str] | None = None

    def try_acquire(self) -> bool:
        """Take the file lock if no other open file holds it."""
        if self._file is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")  # who leads, for a person looking
        handle.flush()
        self._file = handle
        return True

    def still_held(self) -> bool:
        """A file lock is never lost while its file is open."""
        return self._file is not None

    def release(self) -> None:
        """Unlock and close the file."""
        handle, self._file = self._file, None
        if handle is not None:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
            handle.close()


def leader_lock_for(engine: Engine, name: str) -> LeaderLock:
    """The right lock for ``engine``'s database.

    Raises
    ------
    LeaderLockError
        An in-memory SQLite database, or another kind of database.
    """
    url = engine.url
    backend = url.get_backend_name()
    if backend == "postgresql":
        return PostgresLeaderLock(engine, name)
    if backend == "sqlite" and url.database and url.database != ":memory:":
        db = Path(url.database)
        return FileLeaderLock(db.with_name(f"{db.name}.{name}.scheduler.lock"))
    raise LeaderLockError(
        f"cannot elect a scheduler on {url.render_as_string(hide_password=True)}: "
        "use a SQLite file or PostgreSQL"
    )

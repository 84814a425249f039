"""Fields imported per second, SQLite and PostgreSQL, beside a baseline in the same process.

The input is the largest real boundary file Tanbo ships (100 real fields, India,
staircase edges with many vertices), and the same file tiled 50 times (5,000
fields, each copy moved 0.05° so none overlap) to show how the import scales.

Baseline: reading the same file with pyogrio alone (no validation, no storage);
the ratio says how much slower a full import is than just reading the file.

    make bench        # or: .venv/bin/python bench/import.py [--rounds N]
"""

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import psycopg
import pyogrio
from sqlalchemy.engine import make_url

from api import registry
from api.db import connect, migrate
from api.demo import DATA
from core.ids import OwnerName
from fields import ImportOptions

POSTGRES_URL = os.environ.get(
    "TANBO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)
SOURCE = DATA / "india_smallholder_fields.geojson"


def tiled(path: Path, copies: int, out: Path) -> Path:
    doc = json.loads(path.read_text())
    features = []
    for k in range(copies):
        for f in doc["features"]:
            rings = [[[x + 0.05 * k, y] for x, y in ring] for ring in f["geometry"]["coordinates"]]
            props = dict(f["properties"], id=f"{f['properties']['id']}-{k:03d}")
            features.append(
                {**f, "properties": props, "geometry": {**f["geometry"], "coordinates": rings}}
            )
    out.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return out


def median_seconds(fn: Callable[[], None], rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def fresh_sqlite(folder: Path) -> str:
    return f"sqlite:///{folder / f'{uuid.uuid4().hex}.db'}"


def fresh_postgres() -> tuple[str, Callable[[], None]]:
    name = f"tanbo_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False), drop


def measure(
    path: Path, url_factory: Callable[[], tuple[str, Callable[[], None]]], rounds: int
) -> tuple[float, float]:
    """(new-import seconds, re-import seconds), medians over fresh databases."""
    options = ImportOptions(owner=OwnerName("bench"))
    new_times, update_times = [], []
    for _ in range(rounds):
        url, cleanup = url_factory()
        engine = connect(url)
        migrate(engine)
        start = time.perf_counter()
        report = registry.import_fields(engine, path, options)
        new_times.append(time.perf_counter() - start)
        assert not report.rejected, report.rejected[:3]
        assert not report.updated
        start = time.perf_counter()
        again = registry.import_fields(engine, path, options)
        update_times.append(time.perf_counter() - start)
        assert len(again.updated) == len(report.created)
        engine.dispose()
        cleanup()
    return statistics.median(new_times), statistics.median(update_times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        big = tiled(SOURCE, 50, folder / "india_x50.geojson")
        python = sys.version.split()[0]
        print(f"machine: {platform.machine()}, {os.cpu_count()} cores, Python {python}")
        columns = ("fields", "read only/s", "SQLite new/s", "SQLite upd/s", "PG new/s",
                   "PG upd/s", "new ÷ read")  # fmt: skip
        print(f"{'input':<34}" + "".join(f"{c:>14}" for c in columns))
        for label, path, rounds in (
            ("india_smallholder_fields (real)", SOURCE, args.rounds),
            ("the same tiled ×50", big, max(1, args.rounds // 2)),
        ):
            n = pyogrio.read_info(path)["features"]
            read_s = median_seconds(lambda p=path: pyogrio.read_dataframe(p), rounds)
            sqlite_new, sqlite_upd = measure(path, lambda: (fresh_sqlite(folder), _nothing), rounds)
            pg_new, pg_upd = measure(path, fresh_postgres, rounds)
            rates = [n / t for t in (read_s, sqlite_new, sqlite_upd, pg_new, pg_upd)]
            cells = [f"{n}", *(f"{r:,.0f}" for r in rates), f"{read_s / sqlite_new:.3f}"]
            print(f"{label:<34}" + "".join(f"{c:>14}" for c in cells))


def _nothing() -> None:
    pass


if __name__ == "__main__":
    main()

"""Requests per second and p50/p99 latency of the API's main routes, 10,000 fields stored.

The server (``tanbo serve``'s app, one uvicorn worker) runs in a child process; this
process is the load generator: for each route, ``--clients`` threads each holding one
keep-alive HTTP connection send requests back to back for ``--seconds``. SQLite (a file)
and PostgreSQL (127.0.0.1) in turn. Baseline: ``GET /me`` (token check and one row)
measured the same way in the same run; each route's ratio is its rate ÷ the baseline's.

The fields are the 100 real India boundaries tiled 100 times (10,000 fields, none
overlapping), owned by one farmer whose token the clients carry.

    .venv/bin/python bench/api.py [--seconds 5] [--clients 8] [--backends sqlite,postgresql]
"""

import argparse
import importlib.util
import os
import platform
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import httpx
import psycopg
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from api import registry
from api.accounts import Role, create_account, issue_token
from api.config import load_settings
from api.db import connect, migrate
from api.demo import DATA
from core.ids import OwnerName

_spec = importlib.util.spec_from_file_location(
    "bench_import", Path(__file__).with_name("import.py")
)
assert _spec is not None
assert _spec.loader is not None
_bench_import = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_bench_import)
tiled = _bench_import.tiled
"""The tiling of bench/import.py: the same 10,000 fields as that benchmark's ×100."""

POSTGRES_URL = os.environ.get(
    "TANBO_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


def serve(database_url: str, data_dir: str, port: int) -> None:
    """The child: the API on ``port`` until killed."""
    import uvicorn

    from api.app import create_app

    settings = load_settings(data_dir=Path(data_dir), database_url=database_url)
    uvicorn.run(create_app(settings), host="127.0.0.1", port=port, log_level="warning")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def prepare(database_url: str, folder: Path) -> tuple[str, list[str]]:
    """10,000 fields for one farmer; the farmer's token and the field ids."""
    engine = connect(database_url)
    migrate(engine)
    farmer = create_account(engine, display_name="bench farmer", roles=[Role.FARMER])
    source = tiled(DATA / "india_smallholder_fields.geojson", 100, folder / "x100.geojson")
    options = load_settings(data_dir=folder).import_options(owner=OwnerName(farmer.id))
    report = registry.import_fields(engine, source, options)
    assert report.imported == 10_000, (report.imported, report.rejected[:3])
    token = issue_token(engine, farmer.id, ttl=timedelta(days=1)).access_token
    engine.dispose()
    return token, list(report.created)


Request = Callable[[httpx.Client, random.Random], httpx.Response]


def load(
    base_url: str, token: str, request: Request, seconds: float, clients: int
) -> dict[str, float]:
    """Drive one route; requests per second and latency percentiles (ms)."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    stop_at = time.perf_counter() + seconds

    def worker(k: int) -> None:
        rng = random.Random(k)
        with httpx.Client(base_url=base_url, headers={"Authorization": f"Bearer {token}"}) as c:
            while time.perf_counter() < stop_at:
                start = time.perf_counter()
                answer = request(c, rng)
                latencies[k].append(time.perf_counter() - start)
                if answer.status_code >= 400:
                    errors.append(f"{answer.status_code} {answer.text[:200]}")

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    begin = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - begin
    if errors:
        raise RuntimeError(f"{len(errors)} failed requests, e.g. {errors[0]}")
    every = sorted(x for per in latencies for x in per)
    return {
        "rps": len(every) / elapsed,
        "p50": 1000 * every[len(every) // 2],
        "p99": 1000 * every[min(len(every) - 1, int(len(every) * 0.99))],
        "n": float(len(every)),
    }


def routes(ids: list[str]) -> list[tuple[str, Request]]:
    crops = ["rice", "soy", "wheat"]

    def page(c: httpx.Client, r: random.Random) -> httpx.Response:
        return c.get("/fields", params={"limit": 50, "offset": r.randrange(0, 9_950)})

    def change(c: httpx.Client, r: random.Random) -> httpx.Response:
        body = {"crop": r.choice(crops)}
        return c.patch(f"/fields/{r.choice(ids)}", json=body, headers={"If-Match": "*"})

    return [
        ("GET /me (baseline)", lambda c, r: c.get("/me")),
        ("GET /fields (page of 50)", page),
        ("GET /fields/{id}", lambda c, r: c.get(f"/fields/{r.choice(ids)}")),
        ("PATCH /fields/{id} (If-Match *)", change),
        ("GET /missions (empty page)", lambda c, r: c.get("/missions")),
    ]


def run_backend(name: str, seconds: float, clients: int) -> list[tuple[str, dict[str, float]]]:
    with tempfile.TemporaryDirectory(prefix="tanbo-bench-api-") as tmp:
        folder = Path(tmp)
        drop: Callable[[], None] = lambda: None  # noqa: E731
        if name == "sqlite":
            url = f"sqlite:///{folder / 'tanbo.db'}"
        else:
            db = f"tanbo_bench_{uuid.uuid4().hex[:10]}"
            with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                admin.execute(f'CREATE DATABASE "{db}"')

            def drop() -> None:
                with psycopg.connect(POSTGRES_URL, autocommit=True) as admin:
                    admin.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')

            url = make_url(POSTGRES_URL).set(database=db).render_as_string(hide_password=False)
        try:
            token, ids = prepare(url, folder)
            port = free_port()
            child = subprocess.Popen(
                [sys.executable, __file__, "--serve", url, str(folder), str(port)],
                stdout=subprocess.DEVNULL,
            )
            try:
                base = f"http://127.0.0.1:{port}"
                for _ in range(300):
                    try:
                        httpx.get(f"{base}/openapi.json", timeout=1)
                        break
                    except httpx.HTTPError:
                        time.sleep(0.1)
                results = []
                for label, request in routes(ids):
                    load(base, token, request, 1.0, clients)  # warm up
                    results.append((label, load(base, token, request, seconds, clients)))
                return results
            finally:
                child.terminate()
                child.wait(timeout=15)
        finally:
            drop()


def main() -> None:
    if len(sys.argv) == 5 and sys.argv[1] == "--serve":
        serve(sys.argv[2], sys.argv[3], int(sys.argv[4]))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    args = parser.parse_args()
    print(
        f"# {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}; "
        f"{args.clients} clients × {args.seconds:g} s per route; server: 1 uvicorn worker"
    )
    print("| backend | route | req/s | p50 ms | p99 ms | rate ÷ baseline |")
    print("|---|---|---:|---:|---:|---:|")
    for backend in args.backends.split(","):
        results = run_backend(backend, args.seconds, args.clients)
        baseline = results[0][1]["rps"]
        for label, figures in results:
            print(
                f"| {backend} | {label} | {figures['rps']:,.0f} | {figures['p50']:.1f} | "
                f"{figures['p99']:.1f} | {figures['rps'] / baseline:.2f} |"
            )


if __name__ == "__main__":
    main()

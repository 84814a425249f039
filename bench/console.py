"""Time to first render of the console's map, in headless Chromium, beside a baseline.

The farmer's fields page is opened in a fresh browser context (no cache) with the signed-in
farmer's token: the console loads, reads every field (500 a page) and zone, and MapLibre
draws them; the page marks ``tanbo:map-rendered`` once the map is idle with the data on it.
The figure is that mark's time since navigation started, the median of ``--rounds``.
Baseline, in the same run: the same page for a farmer with no fields (the console, the map
and its empty style alone); the ratio says what the fields cost.

The fields are the 100 real India boundaries (many vertices each: staircase edges) tiled in
a grid around Kasai, 100 and 1,000 of them.

The operator's page, second table: the map with the same 1,000 fields (an operator sees
every farmer's) and a live fleet of 20 simulated drones (Tanbo's simulator over MAVLink/TCP,
linked by the service's fleet watch, flying in GUIDED mode between two points 400 m apart)
streamed to the page at 2 Hz over ``/fleet/live``; the simulators run in a process of their
own (``tanbo sim``), as beside a real service. Figures: time to the map drawn with the
fields, time to the drones first drawn, and over the next ``--watch-s`` seconds the fleet
frames the page received per second and the main thread's long tasks (> 50 ms, as Chrome
reports them) — whether the page keeps up. Baseline in the same run: the operator's page
with no fields and the fleet watch off.

    .venv/bin/python bench/console.py [--rounds 5] [--drones 20] [--watch-s 10]
"""

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright
from pymavlink.dialects.v20 import ardupilotmega as mavlink
from sqlalchemy import Engine

from api import fleet_store, registry
from api.accounts import Role, create_account, issue_token
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.demo import DATA
from api.serving import serving
from api.web_console import CONSOLE_DIST
from core.ids import OwnerName
from fields import ImportOptions
from fleet.commands import Commander
from fleet.errors import CommandFailed
from fleet.registry import VehicleRecord
from sim.cluster import find_free_base_port
from tests.console.conftest import CHROMIUM, CHROMIUM_ARGS

SOURCE = DATA / "india_smallholder_fields.geojson"


def grid_of_fields(copies: int, out: Path) -> Path:
    """The 100 real fields, ``copies`` times, side by side 0.01° apart around Kasai."""
    doc = json.loads(SOURCE.read_text())
    xs = [x for f in doc["features"] for ring in f["geometry"]["coordinates"] for x, _ in ring]
    ys = [y for f in doc["features"] for ring in f["geometry"]["coordinates"] for _, y in ring]
    x0, y0 = min(xs), min(ys)
    features = []
    for k in range(copies):
        dx, dy = 134.80 + 0.01 * (k % 10) - x0, 34.90 + 0.01 * (k // 10) - y0
        for f in doc["features"]:
            rings = [[[x + dx, y + dy] for x, y in ring] for ring in f["geometry"]["coordinates"]]
            props = dict(f["properties"], id=f"{f['properties']['id']}-{k:03d}")
            features.append(
                {**f, "properties": props, "geometry": {**f["geometry"], "coordinates": rings}}
            )
    out.write_text(json.dumps({"type": "FeatureCollection", "features": features}))
    return out


def signed_in(token: str) -> str:
    """A script that signs the page in as the console keeps a login (this tab's storage)."""
    return f"sessionStorage.setItem('tanbo.token', {json.dumps(token)});"


def first_render_ms(page_url: str, token: str, rounds: int) -> list[float]:
    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(rounds):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(signed_in(token))
            page = context.new_page()
            page.goto(page_url)
            page.wait_for_function(
                "performance.getEntriesByName('tanbo:map-rendered').length > 0", timeout=120_000
            )
            times.append(page.evaluate(
                "performance.getEntriesByName('tanbo:map-rendered')[0].startTime"
            ))  # fmt: skip
            context.close()
        browser.close()
    return times


_LONG_TASKS = """
window.__longTasks = [];
new PerformanceObserver((list) => {
  for (const e of list.getEntries()) window.__longTasks.push([e.startTime, e.duration]);
}).observe({ type: "longtask", buffered: true });
"""


def operator_rounds(
    url: str, token: str, rounds: int, watch_s: float, fleet: bool
) -> list[dict[str, Any]]:
    """Each round: the operator's page in a fresh context; what it took and how it kept up."""
    results = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(rounds):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
            context.add_init_script(signed_in(token) + _LONG_TASKS)
            page = context.new_page()
            frames: list[float] = []

            def on_socket(ws, frames=frames):  # type: ignore[no-untyped-def]
                if "/fleet/live" in ws.url:
                    ws.on("framereceived", lambda _payload: frames.append(time.monotonic()))

            page.on("websocket", on_socket)
            page.goto(f"{url}#/operations")
            marks = ["tanbo:map-rendered"] + (["tanbo:vehicles-rendered"] if fleet else [])
            for mark in marks:
                page.wait_for_function(
                    f"performance.getEntriesByName('{mark}').length > 0", timeout=120_000
                )
            at = {m: page.evaluate(f"performance.getEntriesByName('{m}')[0].startTime")
                  for m in marks}  # fmt: skip
            start_ms = page.evaluate("performance.now()")
            start = time.monotonic()
            page.wait_for_timeout(watch_s * 1000)
            received = [t for t in frames if t >= start]
            long_ms = page.evaluate(
                "(t0) => window.__longTasks.filter(([s]) => s >= t0)"
                ".reduce((a, [, d]) => a + d, 0)",
                start_ms,
            )
            results.append({
                "map_ms": at["tanbo:map-rendered"],
                "vehicles_ms": at.get("tanbo:vehicles-rendered"),
                "frames_per_s": len(received) / watch_s,
                "long_task_ms_per_s": long_ms / watch_s,
                "drawn": page.evaluate("document.querySelectorAll('table.fleet tbody tr').length"),
            })  # fmt: skip
            context.close()
        browser.close()
    return results


@contextmanager
def simulators(drones: int) -> Iterator[list[int]]:
    """``tanbo sim`` with ``drones`` vehicles in a process of its own (as it runs beside a
    real service); their TCP ports."""
    base = find_free_base_port(drones)
    tanbo = Path(sys.executable).with_name("tanbo")
    child = subprocess.Popen(
        [str(tanbo), "sim", "--drones", str(drones), "--home", "34.93,134.85", "--port",
         str(base), "--control-port", "0", "--quiet"],
        stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert child.stdout is not None
        child.stdout.readline()  # the ready line
        yield [base + 10 * i for i in range(drones)]
    finally:
        child.terminate()
        child.wait(30)


def fleet_in_the_air(engine: Engine, services: Any, ports: list[int]) -> None:
    """Register the simulated drones, wait for the fleet watch to link them, take them off
    and keep them flying between two points 400 m apart (through the service's own links)."""
    drones = len(ports)
    for n, port in enumerate(ports, start=1):
        fleet_store.add_vehicle(engine, VehicleRecord(
            registration=f"SIM-BENCH-{n:02d}", model="Tanbo SIM", system_id=n,
            connection=f"tcp:127.0.0.1:{port}", max_takeoff_weight_kg=5.0,
            battery_mah=10_000, battery_cells=6,
        ))  # fmt: skip
    watch = services.extras["fleet_watch"]
    deadline = time.monotonic() + 120.0
    while sum(bool(v.get("lat_deg")) for v in watch.snapshot()) < drones:
        if time.monotonic() > deadline:
            raise SystemExit("the fleet watch did not hear every simulated drone in 120 s")
        time.sleep(0.5)
    pool = services.extras["links"]
    for n, port in enumerate(ports, start=1):
        commander = Commander(pool.acquire(f"tcp:127.0.0.1:{port}"), n)
        for _ in range(60):  # until the simulated GPS and EKF let it arm
            try:
                commander.set_mode("GUIDED")
                commander.arm()
                commander.takeoff(30.0)
                break
            except CommandFailed:
                time.sleep(1.0)
        else:
            raise SystemExit(f"SIM-BENCH-{n:02d} would not take off")
        threading.Thread(target=_shuttle, args=(commander,), daemon=True).start()


def _shuttle(commander: Commander) -> None:
    """Fly between a point 200 m north of home and one 200 m south, 30 m up, for ever."""
    status = commander.link.tracker(commander.system_id).status
    while status.home_lat_deg is None:
        time.sleep(0.5)
    lat0, lon0 = status.home_lat_deg, status.home_lon_deg or 0.0
    north = True
    while True:
        lat = lat0 + (1 if north else -1) * 200.0 / 111_320.0
        commander.link.send(mavlink.MAVLink_set_position_target_global_int_message(
            0, commander.system_id, 1, mavlink.MAV_FRAME_GLOBAL_RELATIVE_ALT_INT, 0b110111111000,
            round(lat * 1e7), round(lon0 * 1e7), 30.0, 0, 0, 0, 0, 0, 0, 0, 0,
        ))  # fmt: skip
        north = not north
        time.sleep(40.0)


def operator_table(args: argparse.Namespace) -> list[tuple[str, int, int, list[dict[str, Any]]]]:
    """The operator's page: empty, with 1,000 fields, with 1,000 fields and the fleet flying."""
    folder = Path(tempfile.mkdtemp(prefix="tanbo-bench-operator-"))
    url = f"sqlite:///{folder / 'tanbo.db'}"
    engine = connect(url)
    migrate(engine)
    settings = load_settings(data_dir=folder, database_url=url, scheduler_tick_s=1.0)
    app = create_app(settings, engine=engine, migrate_schema=False, background=True)
    operator = create_account(engine, display_name="bench operator", roles=[Role.OPERATOR])
    token = issue_token(engine, operator.id, ttl=timedelta(hours=2)).access_token
    farmer = create_account(engine, display_name="bench farmer", roles=[Role.FARMER])
    rows = []
    with simulators(args.drones) as ports, serving(app) as base:
        page = f"{base}/console/"
        rows.append(
            (
                "baseline: empty map",
                0,
                0,
                operator_rounds(page, token, args.rounds, args.watch_s, fleet=False),
            )
        )
        path = grid_of_fields(10, folder / "fields.geojson")
        registry.import_fields(engine, path, ImportOptions(owner=OwnerName(farmer.id)))
        rows.append(
            (
                "1,000 fields",
                1000,
                0,
                operator_rounds(page, token, args.rounds, args.watch_s, fleet=False),
            )
        )
        fleet_in_the_air(engine, app.state.services, ports)
        rows.append(
            (
                f"1,000 fields + {args.drones} drones",
                1000,
                args.drones,
                operator_rounds(page, token, args.rounds, args.watch_s, fleet=True),
            )
        )
    engine.dispose()
    return rows


def farmer_table(args: argparse.Namespace) -> list[tuple[str, int, float, float]]:
    folder = Path(tempfile.mkdtemp(prefix="tanbo-bench-console-"))
    url = f"sqlite:///{folder / 'tanbo.db'}"
    engine = connect(url)
    migrate(engine)
    app = create_app(load_settings(data_dir=folder, database_url=url), engine=engine,
                     migrate_schema=False)  # fmt: skip
    cases = [("baseline: no fields", 0), ("100 fields", 1), ("1,000 fields", 10)]
    rows = []
    with serving(app) as base:
        for name, copies in cases:
            farmer = create_account(engine, display_name=name, roles=[Role.FARMER])
            if copies:
                path = grid_of_fields(copies, folder / f"fields-{copies}.geojson")
                registry.import_fields(engine, path, ImportOptions(owner=OwnerName(farmer.id)))
            token = issue_token(engine, farmer.id, ttl=timedelta(hours=1)).access_token
            times = first_render_ms(f"{base}/console/", token, args.rounds)
            rows.append((name, copies * 100, statistics.median(times), min(times)))
    engine.dispose()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--drones", type=int, default=20)
    parser.add_argument("--watch-s", type=float, default=10.0)
    parser.add_argument("--operator-only", action="store_true")
    args = parser.parse_args()
    if not (CONSOLE_DIST / "index.html").is_file():
        subprocess.run(["make", "console"], check=True, cwd=Path(__file__).resolve().parents[1])
    print(f"{platform.machine()}, {platform.python_version()}, Chromium headless (SwiftShader), "
          f"{args.rounds} rounds")  # fmt: skip
    if not args.operator_only:
        rows = farmer_table(args)
        baseline = rows[0][2]
        print(f"\nThe farmer's fields page\n{'page':<22} {'fields':>7} {'median ms':>10} "
              f"{'best ms':>8} {'÷ baseline':>11}")  # fmt: skip
        for name, count, median, best in rows:
            print(f"{name:<22} {count:>7} {median:>10.0f} {best:>8.0f} {median / baseline:>11.2f}")
    table = operator_table(args)
    base_ms = statistics.median(r["map_ms"] for r in table[0][3])
    print(f"\nThe operator's page (medians; the fleet watched for {args.watch_s:g} s a round)")
    print(f"{'page':<28} {'map ms':>7} {'÷ baseline':>10} {'drones ms':>9} {'frames/s':>8} "
          f"{'long tasks ms/s':>15} {'rows':>5}")  # fmt: skip
    for name, _, _, results in table:
        map_ms = statistics.median(r["map_ms"] for r in results)
        vehicles = [r["vehicles_ms"] for r in results if r["vehicles_ms"] is not None]
        print(f"{name:<28} {map_ms:>7.0f} {map_ms / base_ms:>10.2f} "
              f"{statistics.median(vehicles) if vehicles else float('nan'):>9.0f} "
              f"{statistics.median(r['frames_per_s'] for r in results):>8.1f} "
              f"{statistics.median(r['long_task_ms_per_s'] for r in results):>15.1f} "
              f"{statistics.median(r['drawn'] for r in results):>5.0f}")  # fmt: skip


if __name__ == "__main__":
    main()

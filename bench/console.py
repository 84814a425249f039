"""Time to first render of the console's map, in headless Chromium, beside a baseline.

The farmer's fields page is opened in a fresh browser context (no cache) with the signed-in
farmer's token: the console loads, reads every field (500 a page) and zone, and MapLibre
draws them; the page marks ``tanbo:map-rendered`` once the map is idle with the data on it.
The figure is that mark's time since navigation started, the median of ``--rounds``.
Baseline, in the same run: the same page for a farmer with no fields (the console, the map
and its empty style alone); the ratio says what the fields cost.

The fields are the 100 real India boundaries (many vertices each: staircase edges) tiled in
a grid around Kasai, 100 and 1,000 of them. Not measured yet: a live fleet of 20 simulated
drones updating the operator's map at 2 Hz (the issue asks for it; see RESULTS.md).

    .venv/bin/python bench/console.py [--rounds 5]
"""

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from playwright.sync_api import sync_playwright

from api import registry
from api.accounts import Role, create_account, issue_token
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.demo import DATA
from api.serving import serving
from api.web_console import CONSOLE_DIST
from core.ids import OwnerName
from fields import ImportOptions
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


def first_render_ms(page_url: str, rounds: int) -> list[float]:
    times = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for _ in range(rounds):
            context = browser.new_context(viewport={"width": 1280, "height": 800})
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    if not (CONSOLE_DIST / "index.html").is_file():
        subprocess.run(["make", "console"], check=True, cwd=Path(__file__).resolve().parents[1])
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
            times = first_render_ms(f"{base}/console/#access_token={token}", args.rounds)
            rows.append((name, copies * 100, statistics.median(times), min(times)))
    baseline = rows[0][2]
    print(f"{platform.machine()}, {platform.python_version()}, Chromium headless (SwiftShader), "
          f"{args.rounds} rounds")  # fmt: skip
    print(f"{'page':<22} {'fields':>7} {'median ms':>10} {'best ms':>8} {'÷ baseline':>11}")
    for name, count, median, best in rows:
        print(f"{name:<22} {count:>7} {median:>10.0f} {best:>8.0f} {median / baseline:>11.2f}")


if __name__ == "__main__":
    main()

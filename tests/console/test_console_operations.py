"""An operator's console on a running service: a farmer asks for spraying in the browser, an
operator approves it in another, the scheduler books it, and the operator watches the
simulated drone fly it live on the map, then reads its 飛行日誌 (flight log)."""

import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
import shapely
from playwright.sync_api import expect
from pypdf import PdfReader

from api import fleet_store
from api.accounts import Role, list_accounts, set_roles
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.deps import Services
from api.scheduling import JST
from api.serving import serving
from core.clock import FakeClock
from fields import local_crs_for, to_local, to_wgs84
from sim import Airframe, SimConfig
from sim.background import BackgroundSim
from sim.cluster import SimCluster
from tests.api.conftest import until
from tests.api.test_fleet_dispatch import CREW_S, sim_vehicle
from tests.console.conftest import Screen, Site, city_login
from tests.console.test_console import _drop_file, _log_in

DAWN = datetime(2026, 6, 2, 4, 0, tzinfo=JST)
"""Two hours before work may start on a calm day of the sample weather."""


@dataclass
class FleetSite(Site):
    clock: FakeClock
    fields_text: str


def _south_west_corner(field: dict) -> tuple[float, float]:  # type: ignore[type-arg]
    """Where a plan with no take-off point given starts (see api.planning.home_in): lat, lon."""
    shape = shapely.geometry.shape(field["geometry"])
    crs = local_crs_for(shape.centroid.x, shape.centroid.y)
    corner = min(shapely.get_coordinates(to_local(shape, crs)).tolist(), key=lambda p: p[0] + p[1])
    point = to_wgs84(shapely.Point(corner), crs)
    return point.y, point.x


@pytest.fixture
def fleet_site(tmp_path: Path, console_built: Path, sample_data: Path) -> Iterator[FleetSite]:
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    collection["features"] = [f for f in collection["features"] if f["properties"]["id"] == "B000"]
    lat, lon = _south_west_corner(collection["features"][0])
    url = f"sqlite:///{tmp_path / 'tanbo.db'}"
    engine = connect(url)
    migrate(engine)
    clock = FakeClock(DAWN)
    settings = load_settings(data_dir=tmp_path / "data", database_url=url, scheduler_tick_s=0.3,
                             pilot_name="加西 太郎")  # fmt: skip
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False, background=True)
    config = SimConfig(port=0, home_lat_deg=lat, home_lon_deg=lon, speedup=60.0,
                       ground_crew_s=CREW_S, airframe=Airframe(pump_max_l_min=16.0))  # fmt: skip
    with BackgroundSim(SimCluster(1, config)) as sim, serving(app) as base:
        fleet_store.add_vehicle(engine, sim_vehicle(f"tcp:127.0.0.1:{sim.cluster.ports[0]}"))
        services: Services = app.state.services
        with city_login(base, services, tmp_path):
            yield FleetSite(base=base, services=services, clock=clock,
                            fields_text=json.dumps(collection))  # fmt: skip
    engine.dispose()


def test_an_operator_approves_a_farmers_request_and_watches_it_fly(
    fleet_site: FleetSite, screen: Screen, another_screen: Callable[[], Screen]
) -> None:
    site, farmer = fleet_site, screen
    _log_in(farmer, site, "tanaka")
    _drop_file(farmer, ".drop", "b000.geojson", site.fields_text)
    expect(farmer.page.locator(".report")).to_contain_text("1 新規")
    farmer.page.get_by_label("B000").check()
    farmer.page.get_by_label("開始日").fill("2026-06-02")
    farmer.page.get_by_label("終了日").fill("2026-06-02")
    farmer.page.get_by_role("button", name="依頼する").click()
    expect(farmer.page.locator(".answer")).to_contain_text("#1: 依頼済み")

    operator = another_screen()
    _log_in(operator, site, "yamada")
    engine = site.services.engine
    who = next(a for a in list_accounts(engine)[0] if a.subject == "yamada")
    set_roles(engine, who.id, [Role.OPERATOR])
    page = operator.page
    page.reload()
    expect(page.get_by_role("link", name="運航")).to_have_attribute("aria-current", "page")
    row = page.locator("tr[data-mission='1']")
    expect(row).to_contain_text("依頼済み")
    row.get_by_role("button", name="承認").click()
    expect(row).to_contain_text("予定確定", timeout=15_000)  # booked by the scheduler
    # The fleet: the drone is linked and heard on the ground before anything flies.
    drone = page.locator("table.fleet tbody tr").first
    expect(drone).to_contain_text("待機中", timeout=15_000)
    expect(drone.locator(".battery")).to_contain_text("%")

    slot = datetime.fromisoformat(until(
        lambda: page.evaluate("fetch('/missions/1', {headers: {Authorization: 'Bearer ' "
                              "+ sessionStorage.getItem('tanbo.token')}}).then(r => r.json())")[
            "slot_start"], 10, "the slot"))  # fmt: skip
    site.clock.advance((slot - site.clock.now()).total_seconds() + 1)  # the slot comes

    live = page.locator(".live[data-mission='1']")
    expect(live).to_contain_text("SIM-", timeout=60_000)
    expect(live.locator(".battery")).to_contain_text("%")
    expect(drone.locator(".doing")).to_contain_text("ミッション #1")
    operator.shot("operator-live")
    expect(row).to_contain_text("完了", timeout=120_000)
    expect(page.locator("table.logs tbody tr")).to_have_count(1, timeout=10_000)
    expect(page.locator("table.logs tbody tr")).to_contain_text("加西 太郎")
    with page.expect_download() as saved:
        page.get_by_role("button", name="CSVでダウンロード").click()
    csv = Path(saved.value.path()).read_text("utf-8-sig")
    assert "SIM-" in csv.splitlines()[1]
    with page.expect_download() as printed:
        page.get_by_role("button", name="PDF（様式1）でダウンロード").click()
    assert printed.value.suggested_filename == "flight-logs.pdf"
    form = PdfReader(printed.value.path()).pages[0].extract_text()
    assert "飛行日誌（飛行記録）" in form
    assert "加西" in form
    operator.shot("operator-done")
    farmer.page.reload()
    expect(farmer.page.locator("table.table tbody tr").first).to_contain_text("完了")

    # City staff see the hectares on the city's dashboard, and where the open data is.
    site.clock.advance(600)  # (the dashboard counts up to now: time has moved on since)
    staff = another_screen()
    _log_in(staff, site, "suzuki")
    who = next(a for a in list_accounts(engine)[0] if a.subject == "suzuki")
    set_roles(engine, who.id, [Role.CITY_ADMIN])
    staff.page.goto(f"{site.base}/console/#/city")
    staff.page.reload()
    june = staff.page.locator("table.city tbody tr", has_text="2026-06 市全体")
    expect(june).to_have_count(1)
    expect(june.locator("td").first).to_have_text("0.3")  # B000: 30 m × 100 m, sprayed once
    expect(staff.page.get_by_role("link", name="CSV").first).to_have_attribute(
        "href", re.compile(r"^/open-data/.+\.csv")
    )
    staff.shot("city-dashboard")
    assert not [s for s in farmer.said + operator.said + staff.said if s.startswith("pageerror")]

"""A pharmacy follows a delivery in the console to the resident's confirmation: the running
service dispatches it and flies it on a simulated drone; the resident, signed in, confirms
receipt in their own browser."""

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.accounts import Role, list_accounts, set_roles
from api.app import create_app
from api.config import load_settings
from api.db import connect, migrate
from api.demo.delivery_world import build_world
from api.deps import Services
from api.serving import serving
from core.clock import ScaledClock
from sim.background import BackgroundSim
from sim.cluster import SimCluster
from tests.api.logistics.conftest import START
from tests.api.logistics.test_serve_flies import SIM, SPEEDUP
from tests.console.conftest import Screen, Site, city_login
from tests.console.test_console import _log_in


@pytest.fixture
def delivery_site(tmp_path: Path, console_built: Path) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path / 'tanbo.db'}"
    engine = connect(url)
    migrate(engine)
    clock = ScaledClock(START, speedup=SPEEDUP)
    settings = load_settings(data_dir=tmp_path / "data", database_url=url, scheduler_tick_s=0.3,
                             pilot_name="加西 太郎")  # fmt: skip
    app = create_app(settings, engine=engine, clock=clock, migrate_schema=False, background=True)
    with BackgroundSim(SimCluster(2, SIM)) as sim, serving(app) as base:
        services: Services = app.state.services
        build_world(engine, services.extras["deliveries"], clock=clock,
                    ports=tuple(sim.cluster.ports))  # fmt: skip
        with city_login(base, services, tmp_path) as site:
            yield site
    engine.dispose()


def test_a_pharmacy_follows_a_delivery_until_the_resident_confirms_it(
    delivery_site: Site, screen: Screen, another_screen: Callable[[], Screen]
) -> None:
    site, resident = delivery_site, screen
    engine = site.services.engine
    _log_in(resident, site, "tanaka")
    resident_id = next(a for a in list_accounts(engine)[0] if a.subject == "tanaka").id

    pharmacy = another_screen()
    _log_in(pharmacy, site, "suzuki")
    set_roles(engine, next(a for a in list_accounts(engine)[0] if a.subject == "suzuki").id,
              [Role.PHARMACY])  # fmt: skip
    page = pharmacy.page
    page.reload()
    expect(page.get_by_role("link", name="配送")).to_have_attribute("aria-current", "page")
    page.get_by_label("受け取り場所").select_option("GARDEN-E")
    page.get_by_label("品名").fill("湿布")
    page.get_by_label("受取人の市民ID（わかれば）").fill(resident_id)
    page.get_by_role("button", name="依頼する").click()
    expect(page.locator(".answer")).to_contain_text("受付")
    card = page.locator(".deliveries .card").first
    expect(card).to_contain_text("予定確定", timeout=30_000)  # dispatched by the service
    expect(page.locator(".map-canvas")).to_have_attribute("data-ready", "yes", timeout=20_000)
    expect(card).to_contain_text("飛行中", timeout=120_000)
    # The drone carrying it on the map and in words, the one its trip names.
    drone = page.locator(".drone-now")
    expect(drone).to_contain_text("SIM-DELIVERY-", timeout=10_000)
    vehicle = drone.get_attribute("data-vehicle")
    expect(card).to_contain_text(f"{vehicle} ·")
    pharmacy.shot("pharmacy-following")

    resident.page.goto(f"{site.base}/console/#/deliveries")
    mine = resident.page.locator(".deliveries .card").first
    expect(mine).to_contain_text("投下済み", timeout=120_000)
    mine.get_by_role("button", name="受け取りました").click()
    expect(mine).to_contain_text("受取確認")
    expect(card).to_contain_text("受取確認", timeout=15_000)  # the pharmacy's page follows
    card.locator("summary").click()
    confirmed = card.locator(".timeline li", has_text=f"resident:{resident_id}")
    expect(confirmed).to_contain_text("受取確認")
    pharmacy.shot("pharmacy-confirmed")
    assert not [s for s in resident.said + pharmacy.said if s.startswith("pageerror")]

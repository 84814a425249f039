"""The farmer's crop page in headless Chromium: a farmer uploads a drone's multispectral
image of their field in the browser, sees the NDVI over it as management zones on the map
with the API's figures, makes a nitrogen prescription from the zones, and reads the yield
forecast with and without it."""

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import shapely
from playwright.sync_api import Locator, expect

from api.demo.orthomosaic import write_orthomosaic
from tests.console.conftest import Screen, Site, console_site
from tests.console.test_console import _log_in

FORECAST_S = 240_000
"""AquaCrop runs each zone's season twice (without and with the prescription's N)."""


@pytest.fixture
def crops_site(tmp_path: Path, console_built: Path) -> Iterator[Site]:
    """The API with its console on SQLite, logging in through a real OpenID provider."""
    with console_site(tmp_path) as served:
        yield served


@pytest.fixture
def as_person(crops_site: Site) -> Iterator[Callable[[str], httpx.Client]]:
    """HTTP clients on the site with a person's bearer token (the one their browser holds)."""
    made: list[httpx.Client] = []

    def make(token: str) -> httpx.Client:
        made.append(httpx.Client(base_url=crops_site.base, timeout=300,
                                 headers={"Authorization": f"Bearer {token}"}))  # fmt: skip
        return made[-1]

    yield make
    for client in made:
        client.close()


def _number(text: str) -> float:
    """The first number a cell shows, as the page writes it (ja-JP: 1,234.5)."""
    found = re.search(r"-?[\d,]+(?:\.\d+)?", text)
    assert found, text
    return float(found.group().replace(",", ""))


def _column(rows: Locator, figure: str) -> list[float]:
    return [_number(t) for t in rows.locator(f"[data-figure={figure}]").all_inner_texts()]


def test_a_farmer_sees_zones_makes_a_prescription_and_reads_the_forecast(
    crops_site: Site,
    screen: Screen,
    as_person: Callable[[str], httpx.Client],
    sample_data: Path,
    tmp_path: Path,
) -> None:
    site, page = crops_site, screen.page
    _log_in(screen, site, "tanaka")
    api = as_person(page.evaluate("sessionStorage.getItem('tanbo.token')"))
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    collection["features"] = collection["features"][:2]  # B000 and B001
    assert api.post("/fields", json=collection).status_code == 200
    b000 = shapely.geometry.shape(collection["features"][0]["geometry"])
    ortho = write_orthomosaic(b000, tmp_path / "B000_multispectral.tif")  # dated 2026-07-20

    page.get_by_role("link", name="生育・施肥").click()
    expect(page.get_by_role("heading", name="生育・施肥")).to_be_visible()
    expect(page.get_by_label("圃場", exact=True)).to_have_value("B000")
    expect(page.get_by_text("この圃場にかかる画像はまだありません")).to_be_visible()
    page.locator(".upload summary").click()
    page.get_by_label("マルチスペクトル画像").set_input_files(ortho)
    page.get_by_role("button", name="画像を取り込む").click()
    expect(page.locator(".upload .answer")).to_contain_text("取り込みました: B000_multispectral")
    (image,) = api.get("/images", params={"field_id": "B000"}).json()["data"]
    assert image["image_date"] == "2026-07-20"

    # The zones on the map and in the table are the API's, with its figures.
    asked = {"image_id": image["id"], "index": "NDVI", "zones": 3, "min_zone_area_m2": 200}
    zones = api.get("/fields/B000/zones", params=asked).json()["features"]
    assert len(zones) >= 2
    ids = sorted(str(z["properties"]["zone"]) for z in zones)
    rows = page.locator(".zones-table tbody tr")
    expect(rows).to_have_count(len(zones), timeout=60_000)
    canvas = page.locator(".map-canvas")
    expect(canvas).to_have_attribute("data-areas-drawn", " ".join(ids), timeout=30_000)
    by_zone = sorted(zones, key=lambda z: z["properties"]["zone"])
    assert _column(rows, "area") == pytest.approx(
        [z["properties"]["area_m2"] / 100 for z in by_zone], abs=0.051
    )
    assert _column(rows, "mean") == pytest.approx(
        [z["properties"]["mean"] for z in by_zone], abs=0.0006
    )
    whole = api.get("/fields/B000/indices", params={"image_id": image["id"]}).json()
    shown = page.locator(".whole-field [data-figure=mean]").inner_text()
    assert _number(shown) == pytest.approx(whole["indices"]["NDVI"]["mean"], abs=0.0006)
    expect(page.locator(".legend")).to_contain_text("NDVI — 画素")  # the index pixel by pixel
    expect(canvas).to_have_attribute("data-overlay", "drawn")
    weakest = rows.first.get_by_role("button")
    weakest.focus()
    page.keyboard.press("Enter")  # a zone picked from the keyboard is outlined on the map
    expect(weakest).to_have_attribute("aria-pressed", "true")
    expect(rows.first).to_have_class("picked")
    screen.shot("crops")

    # A prescription from those zones, in litres of UAN32 per hectare.
    page.get_by_label("肥料").select_option("UAN32")
    page.get_by_role("button", name="処方を作成").click()
    expect(page.locator(".make-rx .answer")).to_contain_text("処方を作成しました", timeout=60_000)
    (rx,) = api.get("/prescriptions", params={"field_id": "B000"}).json()["data"]
    assert (rx["product"], rx["unit"], rx["image_id"]) == ("UAN32", "L/ha", image["id"])
    assert [z["area_m2"] for z in rx["zones"]] == pytest.approx(
        [z["properties"]["area_m2"] for z in by_zone], rel=1e-3
    )  # made on the zones the page showed
    rates = page.locator(".rates-table tbody tr")
    expect(rates).to_have_count(len(rx["zones"]))
    assert _column(rates, "rate") == pytest.approx([z["rate"] for z in rx["zones"]], abs=0.051)
    assert _column(rates, "n") == pytest.approx(
        [z["n_kg_ha"] / 10 for z in rx["zones"]], abs=0.0051
    )  # kg N/10a
    total = page.locator(".rates-table [data-figure=total-n]").inner_text()
    assert _number(total) == pytest.approx(rx["total_n_kg"], abs=0.0051)
    expect(page.locator(".legend")).to_contain_text("kg N/ha")  # the map shows the rates now
    expect(canvas).to_have_attribute("data-areas-drawn", " ".join(ids))
    expect(page.get_by_role("button", name="ISOXML (TASKDATA)")).to_be_visible()
    with page.expect_download() as isoxml:
        page.get_by_role("button", name="ISOXML (TASKDATA)").click()
    assert isoxml.value.suggested_filename == "B000_TASKDATA.zip"

    # The forecast, on the prescription's zones, without and with its N.
    page.get_by_label("田植え日").fill("2026-05-10")
    with page.expect_response(re.compile(r"/fields/B000/forecast\?"), timeout=FORECAST_S) as got:
        page.get_by_role("button", name="予測する").click()
    assert got.value.ok, got.value.text()
    assert f"prescription={rx['id']}" in got.value.url
    forecast = got.value.json()
    outlook = page.locator(".outlook")
    expect(outlook).to_be_visible()
    assert forecast["zones_from"] == f"prescription {rx['id']}"
    assert forecast["with_prescription_kg_10a"] > forecast["yield_kg_10a"]
    figures = {
        name: _number(outlook.locator(f"dd[data-figure={name}]").inner_text())
        for name in ("without", "with")
    }
    assert figures == pytest.approx(
        {"without": forecast["yield_kg_10a"], "with": forecast["with_prescription_kg_10a"]},
        abs=0.51,
    )
    zone_rows = page.locator(".forecast-table tbody tr")
    expect(zone_rows).to_have_count(len(rx["zones"]))
    assert _column(zone_rows, "without") == pytest.approx(
        [z["yield_kg_10a"] for z in forecast["zones"]], abs=0.51
    )
    assert _column(zone_rows, "with") == pytest.approx(
        [z["with_prescription_kg_10a"] for z in forecast["zones"]], abs=0.51
    )
    outlook.scroll_into_view_if_needed()
    screen.shot("crops-forecast")

    page.set_viewport_size({"width": 390, "height": 844})  # a phone: one column, no sideways
    page.evaluate("window.scrollTo(0, 0)")
    expect(page.locator(".pane-map")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screen.shot("crops-phone")

    page.get_by_role("button", name="English").click()  # the same page in English
    expect(page.get_by_role("heading", name="Crops")).to_be_visible()
    expect(outlook).to_contain_text("With the prescription")
    assert not [s for s in screen.said if s.startswith(("pageerror", "http "))], screen.said

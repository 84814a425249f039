"""The farmer's paddy water in the browser (水管理): a paddy with a level sensor, an inlet gate
and two days of readings stored through the API; the controller ticks as ``tanbo irrigation
run`` does without a broker (in-process gates, alerts to the farmer's notifications, city
staff's warnings); the farmer reads the level against its band and the chart, shuts the inlet
by hand and gives it back, and sees the heavy-rain alert."""

import asyncio
import json
import math
import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from api.accounts import Role, create_account, issue_token, list_accounts
from api.irrigation.running import PaddyWaterService
from api.irrigation.service import DatabaseControlStore, NotifierAlerts
from api.scheduling.notify import StoredNotifier
from irrigation import JST
from irrigation.gates_mqtt import InProcessGates
from irrigation.runner import IrrigationRunner
from tests.console.conftest import Screen, Site, console_site
from tests.console.test_console import _log_in

PADDY = "tanaka-B000"
STEP = timedelta(minutes=10)
BAND_COLOUR = (46, 125, 50)  # water-chart.tsx BAND_FILL's colour
COMMAND_COLOUR = (109, 76, 65)  # MARK_COLOURS.command, #6d4c41


@pytest.fixture
def site(tmp_path: Path, console_built: Path) -> Iterator[Site]:
    """The API and its console on SQLite, on the wall clock (the browser's is the same),
    logging in through a real OpenID provider."""
    with console_site(tmp_path) as served:
        yield served


def _client(site: Site, account_id: str) -> httpx.Client:
    token = issue_token(site.services.engine, account_id, ttl=timedelta(hours=1)).access_token
    return httpx.Client(base_url=site.base, headers={"Authorization": f"Bearer {token}"})


def _level_cm(k: int) -> float:
    """The level ``k`` steps before the newest reading: on target for two days, then falling
    under the band (1.5–3.5 cm while tillering) over the last hours."""
    if k < 18:
        return round(1.2 + 0.07 * k, 1)
    return round(2.6 + 0.5 * math.sin(k / 9.0), 1)


def _paddy_with_readings(client: httpx.Client, sample_data: Path, now: datetime) -> list[Any]:
    """A field 20 days after transplanting (tillering, shallow water), its paddy, a level
    sensor and an inlet gate, and 48 h of levels every 10 minutes, two rains, a battery."""
    collection = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    collection["features"] = [f for f in collection["features"] if f["properties"]["id"] == "B000"]
    planted = (now.astimezone(JST) - timedelta(days=20)).date()
    collection["features"][0]["properties"] |= {"variety": "コシヒカリ",
                                                "transplanted_on": planted.isoformat()}  # fmt: skip
    assert client.post("/fields", json=collection).status_code in (200, 201)
    made = client.post("/paddies", json={"id": PADDY, "field_id": "B000"})
    assert made.status_code == 201, made.text
    sensor = {"id": "lv-B000", "kind": "sensor", "paddy_id": PADDY}
    for device in (sensor, {"id": "in-B000", "kind": "gate", "role": "inlet", "paddy_id": PADDY}):
        assert client.post("/water-devices", json=device).status_code == 201
    newest = now - timedelta(minutes=1)  # 24 h from any moment of the test has 144 of them
    batch: list[dict[str, Any]] = [
        {"device_id": "lv-B000", "metric": "water_level", "value": _level_cm(k),
         "time": (newest - k * STEP).isoformat()}
        for k in range(288)
    ]  # fmt: skip
    for hours, mm in ((20, 2.0), (19.5, 1.5)):
        at = (newest - timedelta(hours=hours)).isoformat()
        batch.append({"device_id": "lv-B000", "metric": "rain", "value": mm, "time": at})
    batch.append(
        {"device_id": "lv-B000", "metric": "battery", "value": 87, "time": newest.isoformat()}
    )
    report = client.post("/readings", json=batch).json()
    assert (report["stored"], report["rejected"]) == (len(batch), []), report
    stored = client.get(f"/paddies/{PADDY}/readings",
                        params={"metric": "water_level", "limit": 5000}).json()  # fmt: skip
    assert stored["count"] == 288
    return stored["data"]  # type: ignore[no-any-return]


class Controller:
    """The paddy-water service's tick as ``tanbo irrigation run`` wires it without a broker,
    run on a thread of its own (Playwright's sync API holds this thread's event loop)."""

    def __init__(self, site: Site) -> None:
        services = site.services
        clock = services.clock
        water = PaddyWaterService(engine=services.engine, settings=services.settings, clock=clock)
        self.runner = IrrigationRunner(
            DatabaseControlStore(services.engine),
            InProcessGates(clock=clock),
            alerts=NotifierAlerts(StoredNotifier(services.engine, clock=clock)),
            weather=water.outlook(),
            clock=clock,
        )

    def tick(self) -> None:
        async def once() -> None:
            report = await self.runner.tick()
            assert not report.failed, report
            await self.runner.drain()

        worker = threading.Thread(target=asyncio.run, args=(once(),))
        worker.start()
        worker.join(timeout=60)
        assert not worker.is_alive()


_DRAWN = """(canvas) => {
    const { width, height } = canvas;
    const d = canvas.getContext("2d").getImageData(0, 0, width, height).data;
    const over = canvas.parentElement.querySelector(".u-over").getBoundingClientRect();
    const box = canvas.getBoundingClientRect();
    const scale = height / box.height;
    const near = (i, [r, g, b]) => Math.abs(d[i] - r) < 14 && Math.abs(d[i + 1] - g) < 14
        && Math.abs(d[i + 2] - b) < 14;
    let line = 0, marks = 0, bandTop = height, bandBottom = -1, lastX = -1, lastY = -1;
    for (let y = 0; y < height; y++) {
        for (let x = 0; x < width; x++) {
            const i = 4 * (y * width + x), alpha = d[i + 3];
            if (d[i + 2] > d[i + 1] + 50 && d[i + 2] > d[i] + 80 && alpha > 100) {
                line++;  // the level's blue, over the band or not
                if (x > lastX) [lastX, lastY] = [x, y];
            }
            if (near(i, MARK) && alpha > 200) marks++;
            if (near(i, BAND) && alpha >= 30 && alpha <= 80) {
                bandTop = Math.min(bandTop, y);
                bandBottom = Math.max(bandBottom, y);
            }
        }
    }
    // rows as fractions of the plot's height, from its top
    const top = (over.top - box.top) * scale, tall = over.height * scale;
    const at = (y) => (y - top) / tall;
    return { line, marks, bandTop: at(bandTop), bandBottom: at(bandBottom), last: at(lastY) };
}"""
"""What the chart's canvas shows: pixels of the level's line and of the event marks, and
where the band and the line's newest point lie, as fractions of the plot from its top."""


def _drawn(page: Page) -> dict[str, float]:
    script = _DRAWN.replace("MARK", str(list(COMMAND_COLOUR))).replace(
        "BAND", str(list(BAND_COLOUR))
    )
    drawn: dict[str, float] = page.eval_on_selector(".water-chart canvas", script)
    return drawn


def _height(depth_cm: float, top_cm: float = 8.0) -> float:
    """Where a depth lies on the plot of 0…``top_cm``, as a fraction from its top."""
    return (top_cm - depth_cm) / top_cm


def _cm(value: float) -> str:
    return f"{value:.1f} cm"


def test_a_farmer_reads_the_water_moves_the_gate_by_hand_and_sees_the_alert(
    site: Site, screen: Screen, sample_data: Path, request: pytest.FixtureRequest
) -> None:
    engine, page = site.services.engine, screen.page
    _log_in(screen, site, "tanaka")
    me = next(a for a in list_accounts(engine)[0] if a.subject == "tanaka")
    farmer = _client(site, me.id)
    request.addfinalizer(farmer.close)
    now = site.services.clock.now()
    levels = _paddy_with_readings(farmer, sample_data, now)
    controller = Controller(site)
    controller.tick()  # the water is under the band: the inlet opens
    state = farmer.get(f"/paddies/{PADDY}/state").json()
    assert state["depth_cm"] == levels[-1]["value"] == 1.2
    assert state["target"]["band_cm"] == [1.5, 3.5]
    assert state["inlet"]["opening_pct"] == 100.0

    page.goto(f"{site.base}/console/#/water")
    expect(page.get_by_role("link", name="水管理")).to_have_attribute("aria-current", "page")
    row = page.locator(f'.paddy[data-paddy="{PADDY}"]')
    expect(row.locator(".level")).to_have_text(_cm(1.2))
    expect(row.locator(".band")).to_have_text("目標 1.5–3.5 cm")
    expect(row.locator(".chip.standing-low")).to_have_text("低い")
    expect(row).to_contain_text("給水口: 開")
    expect(row).to_contain_text("電池: 87 %")
    expect(row).to_contain_text("最終受信")
    expect(row.locator("meter")).to_have_attribute("low", "1.5")
    detail = page.locator(".paddy-detail")
    expect(detail.locator(".depth")).to_have_text(_cm(1.2))
    expect(detail.locator(".target")).to_have_text("1.5–3.5 cm")
    expect(detail.locator(".mode")).to_have_text("自動")
    expect(detail.locator(".sensor")).to_have_text("正常")
    expect(page.locator(".map-canvas")).to_have_attribute("data-ready", "yes", timeout=20_000)

    # The last 24 h: the numbers are the stored readings', the chart draws them and the band.
    day = [
        r["value"]
        for r in levels
        if datetime.fromisoformat(r["device_time"]) > now - timedelta(hours=24)
    ]
    assert len(day) == 144
    chart = page.locator(".water-chart")
    expect(chart).to_have_attribute("data-points", "144")
    summary = page.locator(".water-summary")
    expect(summary.locator(".latest")).to_have_text(_cm(day[-1]))
    expect(summary.locator(".lowest")).to_have_text(_cm(min(day)))
    expect(summary.locator(".highest")).to_have_text(_cm(max(day)))
    expect(summary.locator(".rain")).to_have_text("3.5 mm")
    in_band = sum(1.5 <= v <= 3.5 for v in day)
    expect(summary.locator(".in-band")).to_have_text(f"{round(100 * in_band / len(day))} %")
    expect(chart.locator(".u-legend")).to_contain_text("水位")
    expect(chart.locator(".u-legend")).to_contain_text("目標上限")
    page.wait_for_function("document.querySelector('.water-chart canvas')?.width > 0")
    drawn = _drawn(page)  # the y axis runs 0…8 cm (the highest level + 1, at least 8)
    assert drawn["line"] > 300, drawn
    assert drawn["marks"] > 20, drawn  # the inlet's command
    assert abs(drawn["bandTop"] - _height(3.5)) < 0.03, drawn
    assert abs(drawn["bandBottom"] - _height(1.5)) < 0.03, drawn
    assert abs(drawn["last"] - _height(1.2)) < 0.04, drawn
    events = page.locator(".water-events tbody tr")
    expect(events.locator("text=水門への命令")).to_have_count(1)
    chart.scroll_into_view_if_needed()
    screen.shot("water-chart")

    page.get_by_role("button", name="7日間").click()
    expect(page.get_by_role("button", name="7日間")).to_have_attribute("aria-pressed", "true")
    expect(chart).to_have_attribute("data-points", "288")
    expect(summary.locator(".lowest")).to_have_text(_cm(min(r["value"] for r in levels)))
    page.get_by_role("button", name="作付期間").click()
    expect(chart).to_have_attribute("data-points", "288")
    page.get_by_role("button", name="24時間").click()
    expect(chart).to_have_attribute("data-points", "144")

    # The inlet shut by hand for an hour: the API keeps the override and logs it; the next
    # tick commands the gate; back to automatic ends it.
    page.get_by_label("時間").select_option("60")
    page.get_by_label("理由（任意）").fill("草刈り")
    page.get_by_role("button", name="給水口を閉める").click()
    expect(page.locator(".gates .answer")).to_contain_text("給水口を「閉」にしました")
    (held,) = farmer.get(f"/paddies/{PADDY}/overrides").json()
    assert (held["role"], held["action"], held["reason"], held["by"]) == (
        "inlet",
        "close",
        "草刈り",
        me.id,
    )
    until = datetime.fromisoformat(held["until"])
    assert timedelta(minutes=59) < until - now < timedelta(minutes=61)
    logged = farmer.get(f"/paddies/{PADDY}/events").json()["data"]
    assert (logged[0]["kind"], logged[0]["by"]) == ("override", me.id)
    expect(page.locator(".overrides li")).to_contain_text("手動操作中: 給水口 閉")
    controller.tick()
    commands = farmer.get(f"/paddies/{PADDY}/events", params={"kind": "command"}).json()["data"]
    assert commands[0]["summary"].startswith("inlet close 0 %: override by")
    page.get_by_role("button", name="最新にする").click()
    expect(detail.locator(".inlet")).to_have_text("閉（応答待ち）")  # acknowledged next tick
    expect(detail.locator(".mode")).to_have_text("手動操作中")
    expect(page.locator('.water-events tr[data-kind="override"]')).to_have_count(1)
    expect(page.locator('.water-events tr[data-kind="command"]')).to_have_count(2)
    expect(page.locator('.water-events tr[data-kind="ack"]')).to_have_count(1)  # the first's
    screen.shot("water-gate")
    page.get_by_role("button", name="自動に戻す").click()
    expect(page.locator(".gates .answer")).to_contain_text("自動制御に戻しました")
    assert farmer.get(f"/paddies/{PADDY}/overrides").json() == []
    ended = farmer.get(f"/paddies/{PADDY}/events", params={"kind": "override_end"}).json()["data"]
    assert [e["by"] for e in ended] == [me.id]

    # Ended elsewhere meanwhile (the farmer's phone): the page shows the API's refusal.
    page.get_by_role("button", name="給水口を開ける").click()
    expect(page.locator(".overrides li")).to_contain_text("給水口 開")
    (other,) = farmer.get(f"/paddies/{PADDY}/overrides").json()
    assert farmer.delete(f"/paddies/{PADDY}/overrides/{other['id']}").status_code == 200
    page.get_by_role("button", name="自動に戻す").click()
    refusal = page.locator(".gates .problem")
    expect(refusal).to_contain_text(f"受け付けられませんでした: no override {other['id']} in force")

    # City staff declare a heavy-rain warning: the next tick holds the water (田んぼダム) and
    # tells the farmer, who sees the warning and the notice and marks it read.
    staff = create_account(engine, display_name="加西市 防災", roles=[Role.CITY_ADMIN])
    with _client(site, staff.id) as city:
        warning = {"area": "*", "hours": 6, "reason": "大雨警報（加西市）"}
        declared = city.post("/water-warnings", json=warning)
    assert declared.status_code == 201, declared.text
    controller.tick()
    notices = [
        n for n in farmer.get("/notifications").json()["data"] if n["kind"].startswith("water.")
    ]
    assert [n["kind"] for n in notices] == ["water.paddy_dam"]
    page.get_by_role("button", name="最新にする").click()
    expect(page.locator(".water-warning")).to_contain_text("大雨警報（加西市）")
    notice = page.locator(".water-notices li")
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text(notices[0]["text_ja"])
    expect(notice).to_contain_text("田んぼダム")
    expect(detail.locator(".mode")).to_have_text("田んぼダム")
    page.locator(".water-warning").scroll_into_view_if_needed()
    screen.shot("water")
    notice.get_by_role("button", name="既読にする").click()
    expect(notice).to_have_class("read")
    read = farmer.get("/notifications").json()["data"][0]
    assert read["read_at"] is not None

    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("link", name="Paddy water")).to_be_visible()
    expect(detail.locator(".mode")).to_have_text("paddy dam")
    page.set_viewport_size({"width": 390, "height": 844})  # a phone
    page.evaluate("window.scrollTo(0, 0)")
    expect(row.locator(".level")).to_be_visible()
    screen.shot("water-phone")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page is {width} px wide on a 390 px phone"

    refused = [s for s in screen.said if s.startswith("http ")]
    assert len(refused) == 1, screen.said  # the refusal the page showed, and nothing else
    assert f"/overrides/{other['id']}" in refused[0]
    assert not [s for s in screen.said if s.startswith("pageerror")], screen.said

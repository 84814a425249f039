"""The console end to end in headless Chromium: a farmer logs in with the city identity,
imports fields by dropping a file on the page and asks for spraying; a pharmacy asks for a
delivery and follows it; and the console calls nothing the API does not document."""

import json
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Page, expect
from starlette.routing import WebSocketRoute

from api.accounts import Role, create_account, issue_token, list_accounts, set_roles
from api.app import create_app
from api.config import load_settings
from api.demo.delivery_world import build_world
from api.problems import install_problem_handlers
from api.routes import live
from api.serving import serving
from api.web_console import mount_console
from tests.console.conftest import WEB, Screen, Site, console_site
from tests.oidc import ACCOUNTS


@pytest.fixture
def site(tmp_path: Path, console_built: Path) -> Iterator[Site]:
    """The API with its console on SQLite, logging in through a real OpenID provider."""
    with console_site(tmp_path) as served:
        yield served


def _log_in(screen: Screen, site: Site, who: str) -> None:
    page = screen.page
    page.goto(f"{site.base}/")  # the root sends a browser to the console
    page.get_by_role("link", name="マイナンバーカードでログイン").click()
    page.fill("#login input[name=login]", who)
    page.fill("#login input[name=pin]", ACCOUNTS[who]["pin"])
    page.click("#login button[type=submit]")
    page.click("#consent button[type=submit]")
    expect(page.locator(".who")).to_be_visible()
    assert "access_token" not in page.url  # taken from the address, kept out of history


def _drop_file(screen: Screen, selector: str, name: str, text: str) -> None:
    """Drop a file on ``selector`` as a person dragging it from their desktop would."""
    transfer = screen.page.evaluate_handle(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, {type: "application/geo+json"}));
            return transfer;
        }""",
        [name, text],
    )
    screen.page.dispatch_event(selector, "drop", {"dataTransfer": transfer})


def test_a_farmer_logs_in_drops_a_field_file_and_asks_for_spraying(
    site: Site, screen: Screen, sample_data: Path
) -> None:
    page = screen.page
    _log_in(screen, site, "tanaka")
    expect(page.get_by_role("link", name="圃場")).to_have_attribute("aria-current", "page")
    fields = json.loads((sample_data / "kasai_benchmark_fields.geojson").read_text())
    line = {"type": "LineString", "coordinates": [[134.84, 34.92], [134.85, 34.93]]}
    road = {"type": "Feature", "properties": {"id": "ROAD"}, "geometry": line}
    fields["features"] = [*fields["features"][:3], road]
    _drop_file(screen, ".drop", "my-fields.geojson", json.dumps(fields))
    report = page.locator(".report")
    expect(report).to_contain_text("my-fields.geojson: 3 新規, 0 更新")
    expect(page.locator(".rejected li")).to_have_count(1)
    expect(page.locator(".rejected li")).to_contain_text("ROAD")
    expect(page.locator(".field-list li")).to_have_count(3)
    expect(page.locator(".map-canvas")).to_have_attribute("data-ready", "yes", timeout=20_000)

    page.get_by_label(re.compile("B000")).check()
    page.get_by_label(re.compile("B001")).check()
    expect(page.locator("#mission-form-title + p")).to_contain_text("B000, B001")
    page.get_by_role("button", name="依頼する").click()
    expect(page.locator(".answer")).to_contain_text("#1: 依頼済み")
    row = page.locator("table.table tbody tr").first
    expect(row).to_contain_text("B000, B001")
    expect(row).to_contain_text("依頼済み")
    screen.shot("farmer-fields")

    # The planned path on the map: every leg drawn, a line in the legend per sortie.
    row.get_by_role("button", name="経路").click()
    planned = _api_json(page, "/missions/1/plan")
    legs = [f for f in planned["features"] if f["properties"]["kind"] == "leg"]
    sorties = sorted({leg["properties"]["sortie"] for leg in legs})
    expect(page.locator(".map-canvas")).to_have_attribute("data-plan-legs", str(len(legs)))
    expect(page.locator(".plan-legend li")).to_have_count(len(sorties))
    expect(page.locator(".plan-legend")).to_contain_text("散布（実線）")
    assert {"spray", "transit"} == {leg["properties"]["action"] for leg in legs}
    expect(row.get_by_role("button", name="経路")).to_have_attribute("aria-pressed", "true")
    screen.shot("farmer-planned-path")

    page.get_by_role("button", name="English").click()  # the same page in English
    expect(page.get_by_role("link", name="Fields")).to_be_visible()
    expect(row).to_contain_text("requested")
    assert not [s for s in screen.said if s.startswith(("pageerror", "http "))], screen.said


def _api_json(page: Page, path: str) -> Any:
    """What the API answers the signed-in person of ``page`` (with the console's token)."""
    return page.evaluate(
        "(path) => fetch(path, {headers: {Authorization: 'Bearer ' "
        "+ sessionStorage.getItem('tanbo.token')}}).then(r => r.json())",
        path,
    )


def test_a_pharmacy_asks_for_a_delivery_and_sees_it_accepted_with_its_timeline(
    site: Site, screen: Screen
) -> None:
    engine, page = site.services.engine, screen.page
    build_world(engine, site.services.extras["deliveries"], clock=site.services.clock)
    _log_in(screen, site, "suzuki")
    # Signed in first as a farmer (the first login's role): the fields page has read its
    # fields before staff make the account a pharmacy's (else that read may come back 403).
    expect(page.locator(".pane-side")).to_contain_text("ミッションはまだありません。")
    # The missions answer first; the fields may still be on their way (a 403 once, under
    # load): nothing in flight before the roles change.
    page.wait_for_load_state("networkidle")
    who = next(a for a in list_accounts(engine)[0] if a.subject == "suzuki")
    set_roles(engine, who.id, [Role.PHARMACY])
    page.reload()
    expect(page.get_by_role("link", name="配送")).to_have_attribute("aria-current", "page")
    page.get_by_label("受け取り場所").select_option("CENTRE-W")
    page.get_by_label("品名").fill("降圧薬")
    page.get_by_label("重さ (kg)").fill("0.3")
    page.get_by_label("受取人の氏名").fill("加西 花子")
    page.get_by_label("電話番号").fill("0790-42-0000")
    page.get_by_role("button", name="依頼する").click()
    expect(page.locator(".answer")).to_contain_text("受付")
    card = page.locator(".deliveries .card").first
    expect(card).to_contain_text("降圧薬")
    expect(card).to_contain_text("受付")
    card.locator("summary").click()
    expect(card.locator(".timeline li")).to_have_count(2)  # requested, accepted
    screen.shot("pharmacy-deliveries")
    assert not [s for s in screen.said if s.startswith(("pageerror", "http "))], screen.said


_CALL = re.compile(
    r"""\b(get|getAll|post|call|exchange|download)(?:<.*?>)?\(\s*(?:"([A-Z]+)",\s*)?[`"](/[^`"]*)[`"]"""
)
_LINK = re.compile(r"""href="(/(?!console)[^"]*)\"""")
_SOCKET = re.compile(r"""new WebSocket\(\s*`[^`]*?\$\{location\.host\}(/[^`?]*)""")


def _console_calls() -> tuple[set[tuple[str, str]], set[str]]:
    """Every (method, path) the console's sources call over HTTP, and every WebSocket path;
    ``${…}`` as a path parameter."""
    calls, sockets = set(), set()
    for source in (WEB / "src").rglob("*.ts*"):
        text = source.read_text("utf-8")
        for kind, method, path in _CALL.findall(text):
            calls.add((method or ("POST" if kind == "post" else "GET"), path))
        calls.update(("GET", path) for path in _LINK.findall(text))
        sockets.update(_SOCKET.findall(text))

    def bare(path: str) -> str:
        return re.sub(r"\$\{[^}]*\}", "x", path.split("?")[0])

    return {(m, bare(p)) for m, p in calls}, {bare(p) for p in sockets}


def _template(path: str) -> re.Pattern[str]:
    return re.compile("^" + re.sub(r"\{[^}]+\}", "[^/]+", path) + "$")


def test_every_api_call_of_the_console_is_in_the_openapi_document(tmp_path: Path) -> None:
    app = create_app(load_settings(data_dir=tmp_path, database_url=f"sqlite:///{tmp_path}/x.db"))
    documented = [
        (method.upper(), _template(path))
        for path, item in app.openapi()["paths"].items()
        for method in item
    ]
    calls, sockets = _console_calls()
    assert len(calls) >= 12, calls  # the scan finds the calls it is meant to check
    missing = [(m, p) for m, p in calls if not any(m == v and rx.match(p) for v, rx in documented)]
    assert missing == []
    # WebSockets are outside OpenAPI: the console's must be the API's own streams (the live
    # router's; the operator's test watches a flight and the fleet through them).
    streams = [_template(r.path) for r in live.router.routes if isinstance(r, WebSocketRoute)]
    assert sockets == {"/missions/x/live", "/fleet/live"}
    assert all(any(rx.match(p) for rx in streams) for p in sockets)


def test_a_token_from_a_login_this_tab_did_not_begin_is_refused(site: Site, screen: Screen) -> None:
    """Someone's link with their own token in it must not sign a victim in as them."""
    engine, page = site.services.engine, screen.page
    planter = create_account(engine, display_name="someone else", roles=[Role.PHARMACY])
    token = issue_token(engine, planter.id, ttl=timedelta(hours=1)).access_token
    for fragment in (f"access_token={token}", f"access_token={token}&state=guessed-state-1234"):
        page.goto("about:blank")  # a link opened afresh, as it would be from a message
        page.goto(f"{site.base}/console/#{fragment}")
        expect(page.get_by_role("alert")).to_contain_text("このタブで始めたログインではない")
        expect(page.get_by_role("link", name="マイナンバーカードでログイン")).to_be_visible()
        assert "access_token" not in page.url
        assert page.evaluate("sessionStorage.getItem('tanbo.token')") is None


def test_without_a_build_the_console_says_how_to_make_one(
    tmp_path: Path, console_built: Path
) -> None:
    app = FastAPI()
    install_problem_handlers(app)
    mount_console(app, tmp_path / "nothing-built")
    with serving(app) as base, httpx.Client(base_url=base) as client:
        answer = client.get("/console/")
        assert answer.status_code == 404
        assert answer.headers["content-type"] == "application/problem+json"
        assert "make console" in answer.json()["detail"]
        assert client.get("/").headers["location"] == "/console/"
    assert (console_built / "index.html").is_file()  # the real one is built (by the fixture)

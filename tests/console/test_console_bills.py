"""A farmer's bills and points in the browser: the ledger's charges, refunds and points of
the city currency (the currency sandbox standing in for the platform), month by month."""

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from api.accounts import get_account, list_accounts
from api.currency import Ledger
from api.scheduling.notify import Notice, Notification, StoredNotifier, list_notifications
from tests.console.conftest import Screen, Site, console_site
from tests.console.test_console import _log_in
from tests.currency.conftest import API_KEY, Sandbox, run_sandbox


@pytest.fixture
def paying_site(tmp_path: Path, console_built: Path) -> Iterator[tuple[Site, Sandbox]]:
    """The console on SQLite with the currency sandbox as the city's platform."""
    (tmp_path / "sandbox").mkdir()
    with (
        run_sandbox(tmp_path / "sandbox") as sandbox,
        console_site(tmp_path, currency_url=sandbox.url, currency_api_key=API_KEY) as site,
    ):
        yield site, sandbox


def _notices_of(site: Site, account: str) -> list[Notification]:
    return list(list_notifications(site.services.engine, account)[0])


def test_a_farmer_reads_their_bills_and_points_by_month(
    paying_site: tuple[Site, Sandbox], screen: Screen
) -> None:
    (site, sandbox), page = paying_site, screen.page
    _log_in(screen, site, "tanaka")
    me = next(a for a in list_accounts(site.services.engine)[0] if a.subject == "tanaka").id
    ledger: Ledger = site.services.extras["ledger"]
    sandbox.client.set_wallet(me, balance_yen=20_000)
    first = ledger.charge(account=me, amount_yen=6_000, reference="mission:1",
                          description="散布 B000 0.30 ha")  # fmt: skip
    ledger.charge(account=me, amount_yen=4_000, reference="mission:2", description="散布 B001")
    ledger.refund(first.id, amount_yen=1_000, description="一部返金")
    ledger.grant_points(account=me, points=120, reference="mission:1",
                        description="減農薬ポイント")  # fmt: skip
    StoredNotifier(site.services.engine).notify(Notice(
        recipient=me, mission_id=None, kind="water.low", text_ja="B000 の水位が低くなっています",
        text_en="B000's water is low",
    ))  # fmt: skip
    page.goto(f"{site.base}/console/#/bills")
    expect(page.get_by_role("link", name="マイページ")).to_have_attribute("aria-current", "page")
    expect(page.locator("table.entries tbody tr")).to_have_count(4)
    stored = ledger.entries(account=me)
    month = page.locator("table.months tbody tr").first
    assert sum(1 for e in stored if e.status.value == "succeeded") == 4
    expect(month.locator(".charged")).to_have_text("¥9,000")  # 6,000 + 4,000 − 1,000
    expect(month.locator(".refunded")).to_have_text("¥1,000")
    expect(month.locator(".points")).to_have_text("120 pt")
    expect(page.locator("table.entries")).to_contain_text("減農薬ポイント")
    expect(page.locator("tr[data-reference='mission:2']")).to_contain_text("¥4,000")
    notice = page.locator(".notice-list li[data-kind='water.low']")
    expect(notice).to_contain_text("B000 の水位が低くなっています")
    expect(page.locator("#notices-title .badge")).to_have_text("1")
    notice.get_by_role("button", name="既読にする").click()
    expect(page.locator("#notices-title .badge")).to_have_count(0)
    read = _notices_of(site, me)
    assert [n.read_at is not None for n in read] == [True]
    screen.shot("bills")

    # The consent to the city data platform, given and withdrawn on the same page.
    assert get_account(site.services.engine, me).city_data_consent_at is None
    page.get_by_role("button", name="提供に同意する").click()
    expect(page.locator(".consent-state")).to_contain_text("同意しています")
    assert get_account(site.services.engine, me).city_data_consent_at is not None
    page.get_by_role("button", name="同意を取り消す").click()
    expect(page.locator(".consent-state")).to_have_text("同意していません")
    assert get_account(site.services.engine, me).city_data_consent_at is None
    assert not [s for s in screen.said if s.startswith(("pageerror", "http "))], screen.said

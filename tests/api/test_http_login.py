"""Logging in through a real OpenID provider (the city identity), end to end over HTTP."""

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest

from api.identity import OidcClient
from core.clock import SystemClock
from tests.api.conftest import Api
from tests.oidc import Provider, log_in, running_provider


@pytest.fixture
def provider(api: Api, tmp_path: Path) -> Iterator[Provider]:
    """The provider, with the API's own callback registered; the API logs in through it."""
    callback = f"{api.base_url}/auth/callback"
    with running_provider(tmp_path / "oidc", redirect_uri=callback) as running:
        # The provider's tokens carry real times: the identity client checks them on the
        # real clock, while the API's own tokens follow the test's clock.
        api.services.identity = OidcClient(
            running.client_config("tanbo", redirect_uri=callback), clock=SystemClock()
        )
        yield running
        api.services.identity.close()


def _browser(api: Api) -> httpx.Client:
    return httpx.Client(base_url=api.base_url, follow_redirects=False, timeout=30)


def _login(api: Api, username: str, **how: object) -> httpx.Response:
    with _browser(api) as browser:
        start = browser.get("/auth/login")
        assert start.status_code == 302
        assert "code_challenge_method=S256" in start.headers["location"]
        answer = log_in(start.headers["location"], username, **how)  # type: ignore[arg-type]
        return browser.get(answer.url)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_first_login_creates_a_farmer_account_with_card_verified_claims(
    api: Api, provider: Provider
) -> None:
    answer = _login(api, "tanaka")
    assert answer.status_code == 200, answer.text
    token = answer.json()["access_token"]
    me = api.client(token).get("/me").json()
    assert me["roles"] == ["farmer"]
    assert me["verified_name"] == "田中 稔"
    assert me["birthdate"] is not None
    assert me["address"]
    again = _login(api, "tanaka")
    assert again.json()["account_id"] == me["id"]
    assert api.client(token).get("/fields").status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_self_declared_claims_are_not_taken_as_verified(api: Api, provider: Provider) -> None:
    answer = _login(api, "suzuki")
    me = api.client(answer.json()["access_token"]).get("/me").json()
    assert me["verified_name"] is None
    assert me["display_name"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_withheld_birthdate_is_not_stored(api: Api, provider: Provider) -> None:
    answer = _login(api, "tanaka", withhold=["birthdate"])
    me = api.client(answer.json()["access_token"]).get("/me").json()
    assert me["birthdate"] is None
    assert me["verified_name"] == "田中 稔"


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_refused_consent_and_forged_callbacks_are_401(api: Api, provider: Provider) -> None:
    refused = _login(api, "tanaka", consent=False)
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert "access_denied" in refused.json()["detail"]
    with _browser(api) as browser:
        start = browser.get("/auth/login")
        callback = log_in(start.headers["location"], "tanaka")
        forged = callback.url.replace(f"state={callback.state}", "state=forged")
        assert browser.get(forged).status_code == 401
    # A callback from another browser (no login cookie) gets nothing.
    with _browser(api) as first, _browser(api) as second:
        callback = log_in(first.get("/auth/login").headers["location"], "tanaka")
        assert second.get(callback.url).status_code == 401
    # Nothing was created by the failed attempts.
    from api.accounts import list_accounts

    assert list_accounts(api.engine)[1] == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_login_without_a_provider_configured_is_a_clear_404(api: Api) -> None:
    with _browser(api) as browser:
        answer = browser.get("/auth/login")
    assert answer.status_code == 404
    assert "oidc_issuer" in answer.json()["detail"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_console_login_comes_back_to_the_console_with_the_token_in_the_fragment(
    api: Api, provider: Provider
) -> None:
    with _browser(api) as browser:
        state = "4f1c9e0b7a2d4c3e8b6a5d1f0e9c8b7a"
        start = browser.get("/auth/login", params={"return_to": "/console/",
                                                   "console_state": state})  # fmt: skip
        answer = log_in(start.headers["location"], "tanaka")
        back = browser.get(answer.url)
        assert back.status_code == 303
        assert back.headers["cache-control"] == "no-store"
        page, _, fragment = back.headers["location"].partition("#")
        assert page == "/console/"
        answered = dict(parse_qsl(fragment))
        assert answered["state"] == state  # the console takes only the login it began
        token = answered["access_token"]
    me = api.client(token).get("/me").json()
    assert me["display_name"]
    # Only the console's own pages: anything else would be an open redirect.
    for elsewhere in ("https://evil.example/", "//evil.example/", "/console/../auth", "/fields"):
        refused = httpx.get(f"{api.base_url}/auth/login", params={"return_to": elsewhere})
        assert refused.status_code == 422, elsewhere
        assert refused.headers["content-type"] == "application/problem+json"

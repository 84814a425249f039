"""Logging in through a real OpenID provider (oidc-provider on the loopback), over real HTTP."""

import dataclasses
import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from api.identity import (
    LoginRejected,
    OidcClient,
    ProviderMismatch,
    ProviderUnavailable,
    VerifiedIdentity,
)
from core.clock import FakeClock
from tests.oidc import (
    REDIRECT_URI,
    Provider,
    default_clients,
    log_in,
    make_keys,
    running_provider,
)


@pytest.fixture
def client(provider: Provider) -> Iterator[OidcClient]:
    """Tanbo's confidential client, as the API would make it."""
    with OidcClient(provider.client_config("tanbo")) as made:
        yield made


def login(client: OidcClient, username: str, **how: object) -> VerifiedIdentity:
    start = client.begin_login()
    callback = log_in(start.authorization_url, username, **how)  # type: ignore[arg-type]
    return client.finish_login(pending=start.pending, callback=callback.params)


def refused(client: OidcClient, username: str = "tanaka", **how: object) -> LoginRejected:
    with pytest.raises(LoginRejected) as caught:
        login(client, username, **how)
    return caught.value


# --- what a login returns -------------------------------------------------------------------


def test_farmer_logs_in_with_card_verified_name_address_and_birthdate(
    client: OidcClient, provider: Provider
) -> None:
    identity = login(client, "tanaka")

    assert identity.issuer == provider.issuer
    assert identity.subject == "tanaka"
    assert identity.display_name == "田中 稔"
    assert identity.verified_name == "田中 稔"
    assert identity.verified_address == "兵庫県加西市北条町古坂123"
    assert identity.verified_birthdate == date(1958, 4, 12)
    assert identity.verified_at == datetime(2026, 4, 1, 0, 30, tzinfo=UTC)
    assert identity.trust_framework == "jp_jpki"
    assert identity.card_verified
    assert (identity.email, identity.email_verified) == ("tanaka.minoru@example.jp", True)
    assert identity.claims["aud"] == "tanbo"


def test_public_client_logs_in_with_pkce_alone(provider: Provider) -> None:
    with OidcClient(provider.client_config("tanbo-public")) as public:
        assert public.config.client_secret is None
        assert login(public, "tanaka").verified_name == "田中 稔"


def test_birthdate_withheld_at_consent_is_not_reported(client: OidcClient) -> None:
    identity = login(client, "tanaka", withhold=["birthdate"])

    assert identity.verified_birthdate is None
    assert "birthdate" not in identity.claims
    assert identity.verified_name == "田中 稔"
    assert identity.verified_address == "兵庫県加西市北条町古坂123"


def test_self_declared_claims_are_never_reported_as_verified(client: OidcClient) -> None:
    identity = login(client, "suzuki")

    assert identity.display_name == "鈴木 花子"
    assert identity.claims["birthdate"] == "1990-07-01"
    assert identity.verified_name is None
    assert identity.verified_address is None
    assert identity.verified_birthdate is None
    assert not identity.card_verified
    assert identity.email_verified is False


def test_claims_verified_from_a_driving_licence_do_not_count_as_the_card(
    provider: Provider,
) -> None:
    accepting_aml = provider.client_config(trust_frameworks=frozenset({"jp_jpki", "jp_aml"}))
    with OidcClient(accepting_aml) as client:
        identity = login(client, "yamada")

    assert identity.claims["verified_claims"]["verification"]["trust_framework"] == "jp_aml"
    assert identity.display_name == "山田 一郎"
    assert not identity.card_verified
    assert identity.trust_framework is None


# --- refusals of the login itself ------------------------------------------------------------


def test_consent_refused_is_rejected_naming_the_provider_error(client: OidcClient) -> None:
    assert refused(client, consent=False).check == "error from provider: access_denied"


def test_callback_with_another_state_is_rejected(client: OidcClient) -> None:
    start = client.begin_login()
    callback = log_in(start.authorization_url, "tanaka")

    for state in ({"state": "forged"}, {"state": start.pending.state[:-1]}, {}):
        params = {key: value for key, value in callback.params.items() if key != "state"}
        with pytest.raises(LoginRejected) as caught:
            client.finish_login(pending=start.pending, callback=params | state)
        assert caught.value.check == "state"


def test_callback_naming_another_issuer_is_rejected(client: OidcClient) -> None:
    start = client.begin_login()
    callback = log_in(start.authorization_url, "tanaka")

    with pytest.raises(LoginRejected) as caught:
        client.finish_login(
            pending=start.pending, callback=callback.params | {"iss": "https://evil.example"}
        )
    assert caught.value.check == "issuer"


def test_wrong_pkce_verifier_is_refused_by_the_provider(client: OidcClient) -> None:
    start = client.begin_login()
    callback = log_in(start.authorization_url, "tanaka")
    other = client.begin_login()

    with pytest.raises(LoginRejected) as caught:
        client.finish_login(
            pending=dataclasses.replace(start.pending, code_verifier=other.pending.code_verifier),
            callback=callback.params,
        )
    assert caught.value.check == "error from provider: invalid_grant"


def test_nonce_of_another_login_is_rejected(client: OidcClient) -> None:
    start = client.begin_login()
    callback = log_in(start.authorization_url, "tanaka")
    other = client.begin_login()

    with pytest.raises(LoginRejected) as caught:
        client.finish_login(
            pending=dataclasses.replace(start.pending, nonce=other.pending.nonce),
            callback=callback.params,
        )
    assert caught.value.check == "nonce"


def test_code_works_once(client: OidcClient) -> None:
    start = client.begin_login()
    callback = log_in(start.authorization_url, "tanaka")
    client.finish_login(pending=start.pending, callback=callback.params)

    with pytest.raises(LoginRejected) as caught:
        client.finish_login(pending=start.pending, callback=callback.params)
    assert caught.value.check == "error from provider: invalid_grant"


# --- the ID token's checks -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("offset_s", "check"), [(7200.0, "expired"), (-600.0, "issued in the future")]
)
def test_token_outside_its_lifetime_by_our_clock_is_rejected(
    provider: Provider, offset_s: float, check: str
) -> None:
    clock = FakeClock(datetime.now(UTC) + timedelta(seconds=offset_s))
    with OidcClient(provider.client_config(), clock=clock) as client:
        assert refused(client).check == check


def test_token_within_the_allowed_skew_is_accepted(provider: Provider) -> None:
    clock = FakeClock(datetime.now(UTC))
    clock.advance(3600.0 + 30.0)  # the provider's ID tokens live an hour; the skew is 60 s
    with OidcClient(provider.client_config(), clock=clock) as client:
        assert login(client, "tanaka").subject == "tanaka"


def test_token_issued_to_another_client_is_rejected(provider: Provider, client: OidcClient) -> None:
    other_app = provider.client_config("other-app")
    with OidcClient(other_app) as other:
        start = other.begin_login()
    callback = log_in(start.authorization_url, "tanaka")
    tokens = httpx.post(
        f"{provider.issuer}/token",
        data={
            "grant_type": "authorization_code",
            "code": callback.code,
            "redirect_uri": REDIRECT_URI,
            "code_verifier": start.pending.code_verifier,
        },
        auth=(other_app.client_id, other_app.client_secret or ""),
    ).json()

    with pytest.raises(LoginRejected) as caught:
        client.verify_id_token(tokens["id_token"], nonce=start.pending.nonce)
    assert caught.value.check == "audience"


def test_token_signed_with_the_client_secret_is_rejected(provider: Provider) -> None:
    with OidcClient(provider.client_config("hs-app")) as client:
        assert refused(client).check == "algorithm"


# --- the provider's keys ---------------------------------------------------------------------


def counting_jwks_fetches() -> tuple[httpx.Client, list[str]]:
    fetched: list[str] = []

    def record(request: httpx.Request) -> None:
        if request.url.path == "/jwks":
            fetched.append(str(request.url))

    return httpx.Client(event_hooks={"request": [record]}), fetched


def test_token_signed_by_a_key_the_provider_does_not_publish_is_rejected_after_refetch(
    tmp_path: Path,
) -> None:
    with running_provider(
        tmp_path,
        clients=default_clients(REDIRECT_URI, alg="ES256"),
        keys=make_keys("rogue", kind="EC"),
        published_keys=make_keys("k1", kind="EC"),
    ) as provider:
        http, fetched = counting_jwks_fetches()
        config = provider.client_config(jwks_min_refresh_interval_s=0.0)
        with http, OidcClient(config, http=http) as client:
            assert refused(client).check == "unknown key"
    assert len(fetched) == 2  # cached, then once more for the unknown kid


def test_token_whose_kid_names_another_published_key_fails_its_signature(
    tmp_path: Path,
) -> None:
    with (
        running_provider(
            tmp_path,
            clients=default_clients(REDIRECT_URI, alg="ES256"),
            keys=make_keys("k1", kind="EC"),
            published_keys=make_keys("k1", kind="EC"),
        ) as provider,
        OidcClient(provider.client_config()) as client,
    ):
        assert refused(client).check == "signature"


def test_rotated_keys_are_fetched_again_at_most_once_per_interval(tmp_path: Path) -> None:
    clock = FakeClock(datetime.now(UTC))
    with running_provider(tmp_path) as provider:
        http, fetched = counting_jwks_fetches()
        config = provider.client_config(jwks_min_refresh_interval_s=60.0)
        with http, OidcClient(config, http=http, clock=clock) as client:
            assert login(client, "tanaka").subject == "tanaka"
            provider.restart(keys=make_keys("k2"))

            assert refused(client).check == "unknown key"  # the keys were fetched just now
            clock.advance(61.0)
            assert login(client, "tanaka").subject == "tanaka"
            assert login(client, "suzuki").subject == "suzuki"
    assert len(fetched) == 2


# --- the provider itself -----------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_provider_not_listening_is_unavailable(provider: Provider) -> None:
    config = provider.client_config(issuer=f"http://127.0.0.1:{free_port()}", http_timeout_s=2.0)
    with OidcClient(config) as client, pytest.raises(ProviderUnavailable):
        client.begin_login()


def test_provider_gone_before_the_callback_is_unavailable(tmp_path: Path) -> None:
    with running_provider(tmp_path) as provider:
        client = OidcClient(provider.client_config(http_timeout_s=2.0))
        start = client.begin_login()
        callback = log_in(start.authorization_url, "tanaka")
        provider.stop()
        with client, pytest.raises(ProviderUnavailable):
            client.finish_login(pending=start.pending, callback=callback.params)


def test_discovery_naming_another_issuer_is_refused(provider: Provider) -> None:
    config = provider.client_config(issuer=provider.issuer + "/")
    with OidcClient(config) as client, pytest.raises(ProviderMismatch) as caught:
        client.begin_login()
    assert caught.value.what == "issuer"


def test_wrong_client_secret_is_a_mismatch_not_a_user_error(provider: Provider) -> None:
    with OidcClient(provider.client_config(client_secret="not-the-secret")) as client:
        start = client.begin_login()
        callback = log_in(start.authorization_url, "tanaka")
        with pytest.raises(ProviderMismatch) as caught:
            client.finish_login(pending=start.pending, callback=callback.params)
    assert caught.value.what == "client"

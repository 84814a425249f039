"""The client's settings refuse what would be unsafe or cannot work."""

import dataclasses
from typing import Any

import pytest

from api.identity import OidcConfig, PendingLogin

GOOD: dict[str, Any] = {
    "issuer": "https://id.city.kasai.example",
    "client_id": "tanbo",
    "client_secret": "s3cret",
    "redirect_uri": "https://tanbo.city.kasai.example/auth/callback",
}


def test_defaults_ask_for_the_standard_scopes_and_the_jpki_framework() -> None:
    config = OidcConfig(**GOOD)
    assert config.scopes == ("openid", "profile", "address", "email")
    assert config.trust_frameworks == frozenset({"jp_jpki"})


def test_loopback_may_use_plain_http() -> None:
    OidcConfig(**GOOD | {"issuer": "http://127.0.0.1:9000", "redirect_uri": "http://localhost/cb"})


@pytest.mark.parametrize(
    "changes",
    [
        {"issuer": "http://id.city.kasai.example"},
        {"issuer": "https://id.city.kasai.example?tenant=1"},
        {"issuer": "id.city.kasai.example"},
        {"redirect_uri": "http://tanbo.city.kasai.example/cb"},
        {"redirect_uri": "https://tanbo.example/cb#fragment"},
        {"client_id": ""},
        {"client_secret": ""},
        {"scopes": ("profile",)},
        {"trust_frameworks": frozenset()},
        {"clock_skew_s": -1.0},
        {"http_timeout_s": 0.0},
    ],
)
def test_unusable_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        OidcConfig(**GOOD | changes)


def test_secrets_stay_out_of_reprs() -> None:
    assert "s3cret" not in repr(OidcConfig(**GOOD))
    pending = PendingLogin(state="s", nonce="n", code_verifier="v1")
    assert "v1" not in repr(pending)
    assert PendingLogin(**dataclasses.asdict(pending)) == pending

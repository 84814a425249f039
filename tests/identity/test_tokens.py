"""The ID-token checks one by one, on tokens signed here (what no honest provider would send)."""

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from authlib.oidc.core.util import create_half_hash
from joserfc import jws
from joserfc.jwk import ECKey, RSAKey

from api.identity import LoginRejected
from api.identity.tokens import (
    TokenExpectations,
    check_claims,
    read_header,
    select_key,
    verify_signature,
)

NOW = datetime(2026, 5, 10, 3, 0, tzinfo=UTC)
ISSUER = "https://id.city.kasai.example"
ANNOUNCED = frozenset({"RS256", "ES256", "HS256"})
RSA = RSAKey.generate_key(2048, parameters={"kid": "r1", "use": "sig"}, private=True)
EC = ECKey.generate_key("P-256", parameters={"kid": "e1", "use": "sig"}, private=True)
PUBLISHED = [RSA.as_dict(private=False), EC.as_dict(private=False)]


def expectations(**overrides: Any) -> TokenExpectations:
    values: dict[str, Any] = {
        "issuer": ISSUER,
        "client_id": "tanbo",
        "nonce": "n-0S6_WzA2Mj",
        "now": NOW,
        "clock_skew_s": 60.0,
        "access_token": "access-token-1",
    }
    return TokenExpectations(**(values | overrides))


def good_claims(**overrides: Any) -> dict[str, Any]:
    issued = int(NOW.timestamp())
    claims: dict[str, Any] = {
        "iss": ISSUER,
        "sub": "tanaka",
        "aud": "tanbo",
        "exp": issued + 3600,
        "iat": issued,
        "nonce": "n-0S6_WzA2Mj",
        "at_hash": create_half_hash("access-token-1", "RS256").decode(),
    }
    return {key: value for key, value in (claims | overrides).items() if value is not None}


def signed(claims: dict[str, Any], key: Any = RSA, alg: str = "RS256") -> str:
    return jws.serialize_compact(
        {"alg": alg, "kid": key.kid}, json.dumps(claims), key, algorithms=[alg]
    )


def rejection(claims: dict[str, Any], **expect: Any) -> str:
    with pytest.raises(LoginRejected) as caught:
        check_claims(claims, alg="RS256", expect=expectations(**expect))
    return caught.value.check


def test_a_good_token_passes_every_check() -> None:
    token = signed(good_claims())
    header = read_header(token, algorithms=ANNOUNCED)
    key = select_key(PUBLISHED, header)

    assert key is not None
    assert key["kid"] == "r1"
    claims = verify_signature(token, key, alg="RS256")
    check_claims(claims, alg="RS256", expect=expectations())


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}."


def test_alg_none_is_refused_even_if_announced() -> None:
    token = unsigned({"alg": "none"}, good_claims())
    with pytest.raises(LoginRejected) as caught:
        read_header(token, algorithms=ANNOUNCED | {"none"})
    assert caught.value.check == "algorithm"


def test_hmac_signed_with_the_public_rsa_key_is_refused() -> None:
    """The classic confusion: HS256 keyed with the RSA public key's bytes."""
    signing_input = unsigned({"alg": "HS256", "kid": "r1"}, good_claims()).rstrip(".")
    mac = hmac.new(RSA.as_pem(private=False), signing_input.encode(), hashlib.sha256)
    forged = f"{signing_input}.{b64(mac.digest())}"
    with pytest.raises(LoginRejected) as caught:
        read_header(forged, algorithms=ANNOUNCED)
    assert caught.value.check == "algorithm"


def test_algorithm_the_provider_did_not_announce_is_refused() -> None:
    token = signed(good_claims(), key=EC, alg="ES256")
    with pytest.raises(LoginRejected) as caught:
        read_header(token, algorithms=frozenset({"RS256"}))
    assert caught.value.check == "algorithm"


def test_garbage_is_malformed() -> None:
    with pytest.raises(LoginRejected) as caught:
        read_header("not.a-token", algorithms=ANNOUNCED)
    assert caught.value.check == "malformed"


@pytest.mark.parametrize(
    ("header", "expected_kid"),
    [
        ({"alg": "RS256", "kid": "r1"}, "r1"),
        ({"alg": "ES256", "kid": "e1"}, "e1"),
        ({"alg": "ES256"}, "e1"),  # no kid, but one key fits
        ({"alg": "RS256", "kid": "e1"}, None),  # the kid names a key of another type
        ({"alg": "ES384", "kid": "e1"}, None),  # another curve
        ({"alg": "RS256", "kid": "gone"}, None),
    ],
)
def test_key_selection_fits_kid_type_and_curve(
    header: dict[str, Any], expected_kid: str | None
) -> None:
    key = select_key(PUBLISHED, header)
    assert (key["kid"] if key else None) == expected_kid


def test_key_for_encryption_or_another_alg_is_not_used_to_verify() -> None:
    rsa = RSA.as_dict(private=False)
    assert select_key([rsa | {"use": "enc"}], {"alg": "RS256", "kid": "r1"}) is None
    assert select_key([rsa | {"alg": "PS256"}], {"alg": "RS256", "kid": "r1"}) is None


def test_ambiguous_key_without_kid_is_not_guessed() -> None:
    other = RSAKey.generate_key(2048, parameters={"kid": "r2"}, private=False).as_dict()
    assert select_key([*PUBLISHED, other], {"alg": "RS256"}) is None


def test_signature_by_another_key_is_refused() -> None:
    impostor = RSAKey.generate_key(2048, parameters={"kid": "r1"}, private=True)
    token = signed(good_claims(), key=impostor)
    with pytest.raises(LoginRejected) as caught:
        verify_signature(token, RSA.as_dict(private=False), alg="RS256")
    assert caught.value.check == "signature"


@pytest.mark.parametrize(
    ("changes", "check"),
    [
        ({"iss": "https://evil.example"}, "issuer"),
        ({"aud": "other-app"}, "audience"),
        ({"aud": ["other-app", "third"]}, "audience"),
        ({"aud": ["tanbo", "other-app"]}, "authorized party"),
        ({"aud": ["tanbo", "other-app"], "azp": "other-app"}, "authorized party"),
        ({"azp": "other-app"}, "authorized party"),
        ({"sub": ""}, "subject"),
        ({"exp": int(NOW.timestamp()) - 61}, "expired"),
        ({"iat": int(NOW.timestamp()) + 61}, "issued in the future"),
        ({"nbf": int(NOW.timestamp()) + 61}, "not yet valid"),
        ({"exp": None}, "malformed"),
        ({"iat": "yesterday"}, "malformed"),
        ({"nonce": "n-other"}, "nonce"),
        ({"nonce": None}, "nonce"),
        ({"at_hash": create_half_hash("another-token", "RS256").decode()}, "at_hash"),
    ],
)
def test_each_claim_check_names_itself(changes: dict[str, Any], check: str) -> None:
    assert rejection(good_claims(**changes)) == check


def test_several_audiences_with_our_azp_pass() -> None:
    check_claims(
        good_claims(aud=["tanbo", "other-app"], azp="tanbo"), alg="RS256", expect=expectations()
    )


def test_times_within_the_skew_pass() -> None:
    now = int(NOW.timestamp())
    check_claims(good_claims(exp=now - 59, iat=now + 59), alg="RS256", expect=expectations())

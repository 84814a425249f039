"""Which claims count as read from the My Number card (OIDC4IDA ``verified_claims``)."""

from datetime import date
from typing import Any

import pytest

from api.identity import TRUST_FRAMEWORK_JPKI, identity_from_claims, verified_claims_request

ISSUER = "https://id.city.kasai.example"
JPKI = frozenset({TRUST_FRAMEWORK_JPKI})
CARD_BY_CHIP = {
    "type": "document",
    "check_details": [{"check_method": "vcrypt"}],
    "document_details": {"type": "jp_individual_number_card"},
}
CARD_BY_PHOTO = CARD_BY_CHIP | {"check_details": [{"check_method": "vri"}]}
LICENCE = {"type": "document", "document_details": {"type": "jp_drivers_license"}}
VERIFIED = {"name": "田中 稔", "birthdate": "1958-04-12", "address": {"formatted": "加西市"}}


def element(framework: str, *evidence: dict[str, Any], **claims: Any) -> dict[str, Any]:
    return {
        "verification": {"trust_framework": framework, "evidence": list(evidence)},
        "claims": claims or VERIFIED,
    }


def identity(verified_claims: Any, accepted: frozenset[str] = JPKI, **top: Any) -> Any:
    claims = {"sub": "tanaka", "verified_claims": verified_claims, **top}
    return identity_from_claims(claims, issuer=ISSUER, trust_frameworks=accepted)


def test_jpki_framework_vouches_for_name_address_and_birthdate() -> None:
    found = identity(element("jp_jpki"))
    assert (found.verified_name, found.verified_address, found.verified_birthdate) == (
        "田中 稔",
        "加西市",
        date(1958, 4, 12),
    )
    assert found.trust_framework == "jp_jpki"


@pytest.mark.parametrize(
    ("verified_claims", "accepted", "card_verified"),
    [
        (element("jp_aml", CARD_BY_CHIP), JPKI, False),  # jp_aml not accepted
        (element("jp_aml", CARD_BY_CHIP), JPKI | {"jp_aml"}, True),
        (element("jp_aml", CARD_BY_PHOTO), JPKI | {"jp_aml"}, False),
        (element("jp_aml", LICENCE), JPKI | {"jp_aml"}, False),
        (element("jp_aml"), JPKI | {"jp_aml"}, False),
        (element("eidas", CARD_BY_CHIP), JPKI, False),
        ([element("jp_aml", LICENCE), element("jp_jpki")], JPKI, True),
        ({"claims": VERIFIED}, JPKI, False),  # no verification element
        ("jp_jpki", JPKI, False),
    ],
)
def test_only_an_accepted_framework_with_the_card_counts(
    verified_claims: Any, accepted: frozenset[str], card_verified: bool
) -> None:
    assert identity(verified_claims, accepted).card_verified is card_verified


def test_top_level_claims_are_never_verified() -> None:
    found = identity(None, name="田中 稔", birthdate="1958-04-12", address={"formatted": "加西市"})
    assert found.display_name == "田中 稔"
    assert not found.card_verified
    assert found.trust_framework is None


def test_name_from_parts_and_address_from_components_in_japanese_order() -> None:
    found = identity(
        element(
            "jp_jpki",
            family_name="田中",
            given_name="稔",
            address={"region": "兵庫県", "locality": "加西市", "street_address": "北条町古坂123"},
        )
    )
    assert found.verified_name == "田中 稔"
    assert found.display_name == "田中 稔"  # no top-level name: the verified one
    assert found.verified_address == "兵庫県加西市北条町古坂123"


@pytest.mark.parametrize("birthdate", ["0000-04-12", "1958", "1958-04", "12/04/1958", 19580412])
def test_partial_or_malformed_birthdate_is_not_a_verified_birthdate(birthdate: Any) -> None:
    found = identity(element("jp_jpki", name="田中 稔", birthdate=birthdate))
    assert found.verified_birthdate is None
    assert found.verified_name == "田中 稔"


def test_email_verified_only_when_the_provider_says_so() -> None:
    assert identity(None, email="a@example.jp", email_verified=True).email_verified
    assert not identity(None, email="a@example.jp", email_verified="yes").email_verified
    assert not identity(None, email="a@example.jp").email_verified


def test_request_names_the_accepted_frameworks() -> None:
    one = verified_claims_request(JPKI)["userinfo"]["verified_claims"]["verification"]
    two = verified_claims_request(JPKI | {"jp_aml"})["userinfo"]["verified_claims"]["verification"]
    assert one["trust_framework"] == {"value": "jp_jpki"}
    assert two["trust_framework"] == {"values": ["jp_aml", "jp_jpki"]}

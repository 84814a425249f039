"""What a login tells about the person, and which of it the My Number card vouches for.

The city's provider speaks OpenID Connect for Identity Assurance 1.0 (OIDC4IDA): a claim
is *verified* only when it sits under ``verified_claims``, next to a ``verification`` that
says under which trust framework and with what evidence it was checked::

    "verified_claims": {
      "verification": {
        "trust_framework": "jp_jpki",
        "time": "2026-04-01T09:30:00+09:00",
        "evidence": [{"type": "document",
                      "check_details": [{"check_method": "vcrypt"}],
                      "document_details": {"type": "jp_individual_number_card"}}]
      },
      "claims": {"name": "田中 稔", "birthdate": "1958-04-12", "address": {...}}
    }

Trust framework. The OpenID Foundation's registry of trust frameworks has no entry for the
Japanese public individual authentication service (公的個人認証サービス, JPKI: the
certificates on the My Number card's chip, issued by J-LIS). Its Japanese entries are
``jp_aml`` (Act on Prevention of Transfer of Criminal Proceeds) and ``jp_mpiupa`` (the
mobile-phone identification act); ``jp_aml`` admits several methods, photos of a driving
licence among them, so it alone does not mean "the card". Tanbo therefore expects
``jp_jpki`` (:data:`TRUST_FRAMEWORK_JPKI`), a country-prefixed value in the registry's
style (as Italy uses ``it_spid`` and ``it_cie``), agreed with the city's platform. A
platform that answers with a registered framework instead is accepted when the operator
lists it in ``OidcConfig.trust_frameworks`` *and* the evidence shows the card read through
its chip: a ``document`` of type ``jp_individual_number_card`` (the registry's document
identifier) with ``check_method`` ``vcrypt`` (its cryptographic features validated).

Mapping, per verified claim (only ``name``, ``address`` and ``birthdate`` are read):

- ``name``, or ``family_name`` and ``given_name`` joined family name first, gives
  :attr:`VerifiedIdentity.verified_name`;
- ``address.formatted``, or ``region`` + ``locality`` + ``street_address`` (the Japanese
  order, no separators), gives :attr:`VerifiedIdentity.verified_address`;
- ``birthdate`` as ``YYYY-MM-DD`` gives :attr:`VerifiedIdentity.verified_birthdate`;
  a partial date (``0000-04-12``, ``1958``) is not a verified birthdate.

A claim the user did not consent to share is absent, so it is ``None`` here; a claim
outside ``verified_claims`` (a top-level ``name`` the user typed) is never reported as
verified, whatever its value.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

__all__ = [
    "MY_NUMBER_CARD_DOCUMENT",
    "TRUST_FRAMEWORK_JPKI",
    "VerifiedIdentity",
    "identity_from_claims",
    "verified_claims_request",
]

TRUST_FRAMEWORK_JPKI = "jp_jpki"
"""The trust framework the city's platform names for claims read from the My Number card."""

MY_NUMBER_CARD_DOCUMENT = "jp_individual_number_card"
"""OIDC4IDA's document type for the My Number card (個人番号カード)."""

VERIFIED_CLAIM_NAMES = ("name", "address", "birthdate")


@dataclass(frozen=True, kw_only=True, slots=True)
class VerifiedIdentity:
    """A person the city's provider vouched for, as Tanbo may use it.

    Attributes
    ----------
    issuer, subject
        Together, the stable identity to link a local account to (``iss`` and ``sub``).
    display_name
        The name to show: the provider's ``name`` claim (not necessarily verified).
    verified_name, verified_address, verified_birthdate
        Read from the My Number card, when the user consented to share them; else ``None``.
    verified_at
        When the provider last verified them (``verification.time``), in UTC, if given.
    trust_framework
        The framework the verified claims were checked under, if any were.
    email, email_verified
        The e-mail address and whether the provider checked it belongs to the user.
    claims
        Every claim received: the ID token's, over those from the userinfo endpoint.
    """

    issuer: str
    subject: str
    display_name: str | None = None
    verified_name: str | None = None
    verified_address: str | None = None
    verified_birthdate: date | None = None
    verified_at: datetime | None = None
    trust_framework: str | None = None
    email: str | None = None
    email_verified: bool = False
    claims: Mapping[str, Any] = field(default_factory=dict, compare=False)

    @property
    def card_verified(self) -> bool:
        """Whether any of name, address or birthdate comes from the My Number card."""
        return any(
            value is not None
            for value in (self.verified_name, self.verified_address, self.verified_birthdate)
        )


def verified_claims_request(trust_frameworks: frozenset[str]) -> dict[str, Any]:
    """The ``claims`` request parameter asking for the card-verified name, address, birthdate.

    Parameters
    ----------
    trust_frameworks
        The frameworks Tanbo accepts; the request names them so the provider answers with
        one of them.

    Returns
    -------
    dict
        The value to send, JSON-encoded, as the ``claims`` authorization parameter.

    >>> verified_claims_request(frozenset({"jp_jpki"}))["userinfo"]["verified_claims"]["claims"]
    {'name': None, 'address': None, 'birthdate': None}
    """
    frameworks = sorted(trust_frameworks)
    framework = {"value": frameworks[0]} if len(frameworks) == 1 else {"values": frameworks}
    return {
        "userinfo": {
            "verified_claims": {
                "verification": {"trust_framework": framework, "time": None, "evidence": None},
                "claims": dict.fromkeys(VERIFIED_CLAIM_NAMES),
            }
        }
    }


def identity_from_claims(
    claims: Mapping[str, Any], *, issuer: str, trust_frameworks: frozenset[str]
) -> VerifiedIdentity:
    """Map the claims of a login to a :class:`VerifiedIdentity`.

    Parameters
    ----------
    claims
        The claims, already checked: the ID token's over the userinfo response's.
    issuer
        The provider's issuer identifier.
    trust_frameworks
        The trust frameworks whose verified claims count as read from the My Number card.

    Returns
    -------
    VerifiedIdentity
        Verified fields set only from ``verified_claims`` that attest the card.

    >>> identity = identity_from_claims(
    ...     {"sub": "u1", "name": "鈴木 花子", "birthdate": "1990-07-01"},
    ...     issuer="https://id.example", trust_frameworks=frozenset({"jp_jpki"}))
    >>> identity.display_name, identity.verified_birthdate, identity.card_verified
    ('鈴木 花子', None, False)
    """
    verified: dict[str, Any] = {}
    verified_at: datetime | None = None
    framework: str | None = None
    for element in _elements(claims.get("verified_claims")):
        verification = element.get("verification")
        inner = element.get("claims")
        if not isinstance(verification, Mapping) or not isinstance(inner, Mapping):
            continue
        if not _attests_my_number_card(verification, trust_frameworks):
            continue
        found = {
            "name": _name(inner),
            "address": _address(inner.get("address")),
            "birthdate": _birthdate(inner.get("birthdate")),
        }
        found = {key: value for key, value in found.items() if value is not None}
        if found and framework is None:
            framework = str(verification["trust_framework"])
            verified_at = _time(verification.get("time"))
        for key, value in found.items():
            verified.setdefault(key, value)
    name = claims.get("name") if isinstance(claims.get("name"), str) else None
    email = claims.get("email")
    return VerifiedIdentity(
        issuer=issuer,
        subject=str(claims["sub"]),
        display_name=name or verified.get("name"),
        verified_name=verified.get("name"),
        verified_address=verified.get("address"),
        verified_birthdate=verified.get("birthdate"),
        verified_at=verified_at,
        trust_framework=framework,
        email=email if isinstance(email, str) else None,
        email_verified=claims.get("email_verified") in (True, "true"),
        claims=dict(claims),
    )


def _elements(value: Any) -> Sequence[Mapping[str, Any]]:
    """``verified_claims`` may be one object or a list of them (OIDC4IDA section 5)."""
    items = value if isinstance(value, list) else [value]
    return [item for item in items if isinstance(item, Mapping)]


def _attests_my_number_card(verification: Mapping[str, Any], accepted: frozenset[str]) -> bool:
    framework = verification.get("trust_framework")
    if framework not in accepted:
        return False
    if framework == TRUST_FRAMEWORK_JPKI:
        return True
    evidence = verification.get("evidence")
    return isinstance(evidence, list) and any(_is_card_read_by_chip(item) for item in evidence)


def _is_card_read_by_chip(evidence: Any) -> bool:
    if not isinstance(evidence, Mapping) or evidence.get("type") != "document":
        return False
    details = evidence.get("document_details")
    checks = evidence.get("check_details")
    return (
        isinstance(details, Mapping)
        and details.get("type") == MY_NUMBER_CARD_DOCUMENT
        and isinstance(checks, list)
        and any(isinstance(c, Mapping) and c.get("check_method") == "vcrypt" for c in checks)
    )


def _name(claims: Mapping[str, Any]) -> str | None:
    name = claims.get("name")
    if isinstance(name, str) and name.strip():
        return name.strip()
    family, given = claims.get("family_name"), claims.get("given_name")
    if isinstance(family, str) and isinstance(given, str) and family and given:
        return f"{family} {given}"
    return None


def _address(address: Any) -> str | None:
    if isinstance(address, str):
        return address.strip() or None
    if not isinstance(address, Mapping):
        return None
    formatted = address.get("formatted")
    if isinstance(formatted, str) and formatted.strip():
        return formatted.strip()
    parts = [address.get(key) for key in ("region", "locality", "street_address")]
    joined = "".join(part.strip() for part in parts if isinstance(part, str))
    return joined or None


def _birthdate(value: Any) -> date | None:
    if not isinstance(value, str) or len(value) != 10:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:  # also "0000-04-12", a birthday without the year
        return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None

"""What building and publishing produce: candidate entities with whose data they are,
entities left out and why, and the report of a publish."""

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from api.city_platform.ngsi import Entity
from api.city_platform.schemas import AttributeSpec, DataModel

__all__ = ["Candidate", "PublishReport", "Refused", "Removed", "SkipReason", "Skipped"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Candidate:
    """An entity built from the database, not yet checked or sent."""

    entity: Entity
    model: DataModel
    personal: bool
    """Personal data: published only with ``data_subject``'s consent. Not personal
    (vehicles, devices, crops): published always."""
    data_subject: str | None = None
    """The account whose personal data it is; None for personal data of someone with no
    account (who cannot consent: never published)."""
    borrowed: dict[str, AttributeSpec] = field(default_factory=dict)
    """Attributes taken from other Smart Data Models, checked against those."""

    @property
    def id(self) -> str:
        """The entity's id."""
        return str(self.entity["id"])


class SkipReason(StrEnum):
    """Why an entity that could be built is not published."""

    NO_CONSENT = "no_consent"
    """Personal data of an account that has not consented (or withdrew)."""
    NOT_AN_ACCOUNT = "not_an_account"
    """Personal data of someone with no account (an imported owner name, a recipient
    known by name and phone), who cannot consent."""
    SIMULATED = "simulated"
    """A simulator's vehicle: not a real aircraft."""
    NOTHING_MEASURED = "nothing_measured"
    """A sensor that has reported nothing yet: what it measures is not known."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Skipped:
    """An entity left out, and why."""

    entity_id: str
    entity_type: str
    reason: SkipReason
    data_subject: str | None = None


@dataclass(frozen=True, kw_only=True, slots=True)
class Refused:
    """An entity its Smart Data Model refuses; the broker keeps its previous version, if any."""

    entity_id: str
    entity_type: str
    reason: str


@dataclass(frozen=True, kw_only=True, slots=True)
class Removed:
    """An entity deleted from the broker: consent withdrawn, or gone from the database."""

    entity_id: str
    reason: str
    """``consent withdrawn``, ``no account to consent``, ``no published field grows it``
    (a crop), ``no longer in Tanbo`` …"""


@dataclass(frozen=True, kw_only=True, slots=True)
class PublishReport:
    """What one publish did (or, in a dry run, would do)."""

    dry_run: bool
    sent: tuple[str, ...]
    """Ids of the entities upserted, sorted."""
    sent_types: dict[str, int]
    """How many of each entity type were upserted."""
    new: tuple[str, ...]
    """Of those, the ones the broker did not have."""
    refused: tuple[Refused, ...] = ()
    skipped: tuple[Skipped, ...] = ()
    removed: tuple[Removed, ...] = ()
    digest: str = ""
    """SHA-256 of everything upserted: two publishes of unchanged data give the same."""

    @property
    def already_published(self) -> tuple[str, ...]:
        """Entities sent again with the same ids (updated in place, not duplicated)."""
        fresh = set(self.new)
        return tuple(i for i in self.sent if i not in fresh)

    @property
    def skipped_for_consent(self) -> tuple[Skipped, ...]:
        """Personal entities left out for want of consent."""
        lacking = (SkipReason.NO_CONSENT, SkipReason.NOT_AN_ACCOUNT)
        return tuple(s for s in self.skipped if s.reason in lacking)

    def skipped_counts(self) -> dict[str, int]:
        """How many were skipped for each reason."""
        return dict(sorted(Counter(s.reason.value for s in self.skipped).items()))

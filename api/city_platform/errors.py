"""Errors of publishing to the city data platform.

::

    TanboError                  (core)
    └── CityPlatformError
        ├── InvalidEntity       an entity its Smart Data Model refuses (names each attribute)
        ├── UnknownDataModel    a model the bundled Smart Data Models do not describe
        └── BrokerError         the context broker did not take what was sent
            ├── BrokerUnavailable  no usable answer: unreachable, timed out, a server error
            └── BrokerRefused      the broker answered no for some entities (names their ids)
"""

from collections.abc import Mapping
from dataclasses import dataclass

from core.errors import TanboError

__all__ = [
    "BrokerError",
    "BrokerRefused",
    "BrokerUnavailable",
    "CityPlatformError",
    "InvalidEntity",
    "Problem",
    "UnknownDataModel",
]


class CityPlatformError(TanboError):
    """Something publishing to the city data platform could not do."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Problem:
    """What is wrong with one attribute of an entity."""

    attribute: str
    message: str

    def __str__(self) -> str:
        return f"attribute {self.attribute!r}: {self.message}"


class InvalidEntity(CityPlatformError, ValueError):
    """An entity that does not follow its Smart Data Model or the NGSI-LD normalized form."""

    def __init__(self, entity_type: str, entity_id: str, problems: tuple[Problem, ...]) -> None:
        self.entity_type = entity_type
        self.entity_id = entity_id
        self.problems = problems
        super().__init__(f"{entity_type} {entity_id}: " + "; ".join(map(str, problems)))


class UnknownDataModel(CityPlatformError, LookupError):
    """A data model that the bundled Smart Data Models (pysmartdatamodels) do not describe."""


class BrokerError(CityPlatformError):
    """The context broker did not take what was sent."""


class BrokerUnavailable(BrokerError):
    """The broker could not be reached, timed out or failed with a server error."""


class BrokerRefused(BrokerError):
    """The broker refused some entities; ``failures`` maps each entity id to the reason."""

    def __init__(self, operation: str, failures: Mapping[str, str], *, out_of: int) -> None:
        self.operation = operation
        self.failures = dict(sorted(failures.items()))
        listed = "; ".join(f"{i} ({why})" for i, why in self.failures.items())
        super().__init__(
            f"the broker refused {operation} of {len(self.failures)} of {out_of} entities: {listed}"
        )

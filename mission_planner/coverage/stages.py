"""The stages of coverage planning, as protocols; strategies live beside this module."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from shapely import LineString
from shapely.geometry.base import BaseGeometry

from mission_planner.plan import Point

__all__ = ["Headland", "HeadlandGenerator", "RouteOrder", "Swath", "SwathGenerator"]


@dataclass(frozen=True, kw_only=True, slots=True)
class Headland:
    """The perimeter passes and what is left inside them for swaths.

    ``passes`` are closed rings flown with the sprayer on; ``interior`` is the part
    of the sprayable area they do not cover, which the swaths must cover.
    """

    passes: tuple[LineString, ...]
    interior: BaseGeometry
    depths: tuple[int, ...] = ()
    """Per pass, how many rings lie outside it (0 for those along the boundary); empty
    when the generator does not say, and every pass is then taken as an outer one."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Swath:
    """One straight spray pass, flown from ``start`` to ``end`` (or reversed)."""

    start: Point
    end: Point
    strip: int
    """Index of the strip (row) the swath lies in, counted across the field."""

    @property
    def length_m(self) -> float:
        """Length of the pass."""
        return float(
            ((self.end[0] - self.start[0]) ** 2 + (self.end[1] - self.start[1]) ** 2) ** 0.5
        )

    def reversed(self) -> "Swath":
        """The same pass flown the other way."""
        return Swath(start=self.end, end=self.start, strip=self.strip)


class HeadlandGenerator(Protocol):
    """Makes the perimeter passes of a sprayable area."""

    def headland(self, area: BaseGeometry, width_m: float) -> Headland:
        """Perimeter passes over ``area`` and the interior they leave."""
        ...


class SwathGenerator(Protocol):
    """Lays parallel passes over an interior at an angle."""

    def swaths(
        self, area: BaseGeometry, interior: BaseGeometry, width_m: float, angle_deg: float
    ) -> list[Swath]:
        """Swaths covering ``interior`` whose footprints stay inside ``area``."""
        ...


class RouteOrder(Protocol):
    """Orders swaths (choosing each one's direction) from a starting point."""

    def order(self, swaths: Sequence[Swath], start: Point) -> list[Swath]:
        """The swaths in flight order, each oriented as flown."""
        ...

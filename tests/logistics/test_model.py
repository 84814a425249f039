"""Requests, items and places refuse values that cannot be."""

from datetime import timedelta

import pytest

from logistics.errors import BadRequest
from logistics.model import Item, Recipient, TemperatureClass, TimeWindow, fits_in
from tests.logistics import scenario as s


def test_one_request_keeps_one_temperature() -> None:
    cool = Item(
        name="insulin", weight_kg=0.2, size_cm=(10, 5, 5), temperature=TemperatureClass.COOL
    )
    frozen = Item(
        name="ice", weight_kg=0.5, size_cm=(10, 10, 5), temperature=TemperatureClass.FROZEN
    )
    base = s.request("R", "GARDEN")
    with pytest.raises(BadRequest, match="items of cool, frozen: one box keeps one temperature"):
        type(base)(**{**{n: getattr(base, n) for n in base.__slots__}, "items": (cool, frozen)})


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Item(name="x", weight_kg=0.0, size_cm=(1, 1, 1)), "weight_kg must be a positive"),
        (lambda: Item(name="x", weight_kg=1.0, size_cm=(1, 1)), "three sides"),  # type: ignore[arg-type]
        (lambda: Item(name=" ", weight_kg=1.0, size_cm=(1, 1, 1)), "needs a name"),
        (lambda: Recipient(name="Sato"), "a resident id, or a name and a phone"),
        (
            lambda: TimeWindow(earliest=s.NOW, latest=s.NOW - timedelta(minutes=1)),
            "before it starts",
        ),
        (lambda: TimeWindow(earliest=s.NOW.replace(tzinfo=None), latest=s.NOW), "time zone"),
    ],
)
def test_impossible_values_are_refused_by_name(make, message: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(BadRequest, match=message):
        make()


def test_a_parcel_fits_turned_but_not_beyond_the_box_volume() -> None:
    long = Item(name="long", weight_kg=0.1, size_cm=(5, 38, 5))
    assert fits_in((40, 30, 25), [long])
    assert not fits_in((30, 30, 25), [long])
    brick = Item(name="brick", weight_kg=0.1, size_cm=(20, 20, 20))
    assert fits_in((40, 40, 20), [brick, brick, brick, brick])
    assert not fits_in((40, 40, 20), [brick] * 5)

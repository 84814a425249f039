"""Adding the city's facts up by month and district, with figures worked out by hand."""

import pytest

from api.city_stats import (
    ALL_DISTRICTS,
    UNKNOWN,
    AlertRaised,
    Cell,
    DamEpisode,
    DeliveryDone,
    DeliveryOutcome,
    Facts,
    FlightDone,
    Group,
    Month,
    WaterUse,
    WorkDone,
    WorkKind,
    aggregate,
    month_totals,
    months_asked,
)

MAY, JUNE, JULY = Month(year=2026, month=5), Month(year=2026, month=6), Month(year=2026, month=7)
FIELD_HA = 0.30  # a 30 m × 100 m field
OTHER_HA = 0.45


def _spray(month: Month, district: str = "北条", party: str = "tanaka") -> WorkDone:
    return WorkDone(month=month, district=district, kind=WorkKind.SPRAY, area_ha=FIELD_HA,
                    party=party)  # fmt: skip


FACTS = Facts(
    work=(
        _spray(JUNE),
        _spray(JUNE),  # the same field sprayed again in June
        WorkDone(month=JULY, district="北条", kind=WorkKind.SURVEY, area_ha=OTHER_HA,
                 party="suzuki"),
        _spray(MAY),  # before the months asked for
    ),
    flights=(
        FlightDone(month=JUNE, district="北条", flight_h=0.5, party="tanaka"),
        FlightDone(month=JUNE, district="北条", flight_h=0.25, party="pilot:加西", simulated=True),
    ),
    deliveries=(
        DeliveryDone(month=JUNE, district="富合", outcome=DeliveryOutcome.MADE, party="r1"),
        DeliveryDone(month=JULY, district="富合", outcome=DeliveryOutcome.FAILED, party="r2"),
        DeliveryDone(month=JULY, district=UNKNOWN, outcome=DeliveryOutcome.RETURNED, party="r3"),
    ),
    water=(
        WaterUse(month=JUNE, district="富合", party="tanaka", inlet_m3=150.0, watched_days=30,
                 flooding_need_m3=600.0),
        WaterUse(month=JUNE, district="富合", party="suzuki", inlet_m3=40.0, watched_days=10,
                 flooding_need_m3=100.0),
    ),
    dams=(DamEpisode(month=JULY, district="富合", party="tanaka", stored_m3=120.0, hours=6.0),),
    alerts=(
        AlertRaised(month=JULY, district="富合", party="tanaka", kind="paddy_dam"),
        AlertRaised(month=JULY, district="富合", party="tanaka", kind="sensor_stale"),
        AlertRaised(month=JULY, district="富合", party="suzuki", kind="paddy_dam"),
    ),
)  # fmt: skip


def _by_key(months: list[Month]) -> dict[tuple[str, str], Cell]:
    return {(str(c.month), c.district): c for c in aggregate(FACTS, months)}


def test_a_field_sprayed_twice_counts_its_area_twice_and_a_survey_once() -> None:
    cells = _by_key([JUNE, JULY])
    june, july = cells["2026-06", "北条"], cells["2026-07", "北条"]
    assert june.sprayed_ha == pytest.approx(2 * FIELD_HA)
    assert june.sprayed_fields == 2
    assert july.surveyed_ha == pytest.approx(OTHER_HA)
    assert (july.sprayed_ha, july.surveyed_fields) == (0.0, 1)
    assert ("2026-05", "北条") not in cells  # May was not asked for


def test_flights_deliveries_water_and_alerts_land_in_their_cells() -> None:
    cells = _by_key([JUNE, JULY])
    june = cells["2026-06", "北条"]
    assert (june.flights, june.simulated_flights) == (2, 1)
    assert june.flight_h == pytest.approx(0.75)
    assert june.parties_of(Group.FLIGHTS) == {"tanaka", "pilot:加西"}
    water = cells["2026-06", "富合"]
    assert water.deliveries_made == 1
    assert water.inlet_water_m3 == pytest.approx(190.0)
    assert water.watched_paddy_days == 40
    assert water.flooding_need_m3 == pytest.approx(700.0)
    assert water.water_saved_m3 == pytest.approx(700.0 - 190.0)
    july = cells["2026-07", "富合"]
    assert (july.deliveries_failed, july.deliveries_returned) == (1, 0)
    assert july.paddy_dam_storage_m3 == 120.0
    assert july.paddy_dam_h == 6.0
    assert july.alerts == {"paddy_dam": 2, "sensor_stale": 1}
    assert july.alert_count == 3
    assert july.parties_of(Group.ALERTS) == {"tanaka", "suzuki"}
    assert july.flooding_need_m3 is None  # no water record that month: nothing to compare
    assert cells["2026-07", UNKNOWN].deliveries_returned == 1


def test_water_saved_is_left_out_without_a_comparison() -> None:
    use = WaterUse(month=JUNE, district="北条", party="a", inlet_m3=10.0, watched_days=3,
                   flooding_need_m3=None)  # fmt: skip
    (cell,) = aggregate(Facts(water=(use,)), [JUNE])
    assert (cell.inlet_water_m3, cell.flooding_need_m3, cell.water_saved_m3) == (10.0, None, None)


def test_cells_follow_the_districts_order_unknown_last_and_fill_the_grid() -> None:
    order = ["富合", "北条", "九会"]
    listed = [(str(c.month), c.district) for c in aggregate(FACTS, [JUNE, JULY], order)]
    assert listed == [
        ("2026-06", "富合"), ("2026-06", "北条"),
        ("2026-07", "富合"), ("2026-07", "北条"), ("2026-07", UNKNOWN),
    ]  # fmt: skip
    filled = aggregate(FACTS, [JUNE, JULY], order, fill=True)
    assert [(str(c.month), c.district) for c in filled if c.district != UNKNOWN] == [
        (m, d) for m in ("2026-06", "2026-07") for d in order
    ]
    empty = next(c for c in filled if c.district == "九会")
    assert (empty.sprayed_ha, empty.flights, empty.parties) == (0.0, 0, {})


def test_month_totals_add_up_the_districts() -> None:
    cells = aggregate(FACTS, [JUNE, JULY])
    june, july = month_totals(cells, [JUNE, JULY])
    assert june.district == ALL_DISTRICTS
    assert june.sprayed_ha == pytest.approx(2 * FIELD_HA)
    assert (june.flights, june.deliveries_made) == (2, 1)
    assert june.water_saved_m3 == pytest.approx(510.0)
    assert (july.deliveries_failed, july.deliveries_returned, july.alert_count) == (1, 1, 3)
    assert july.water_saved_m3 is None
    assert june.parties_of(Group.SPRAY) == {"tanaka"}


def test_months_asked_default_to_the_last_twelve_and_leave_out_the_future() -> None:
    months = months_asked(None, None, default_last=JUNE, latest=JUNE)
    assert (str(months[0]), str(months[-1]), len(months)) == ("2025-07", "2026-06", 12)
    assert [str(m) for m in months_asked(None, "2026-02", default_last=JUNE, latest=JUNE)][:2] == [
        "2025-03", "2025-04",
    ]  # fmt: skip
    either_way = months_asked("2026-06", "2026-04", default_last=JUNE, latest=JUNE)
    assert [str(m) for m in either_way] == ["2026-04", "2026-05", "2026-06"]
    assert months_asked("2026-05", "2027-12", default_last=JUNE, latest=JUNE) == [MAY, JUNE]
    assert months_asked("2026-08", None, default_last=JUNE, latest=JUNE) == []  # all ahead
    with pytest.raises(ValueError, match=r"^from: '2026-6' is not a month"):
        months_asked("2026-6", None, default_last=JUNE, latest=JUNE)
    with pytest.raises(ValueError, match=r"^to: '1999-12' is not a month"):
        months_asked(None, "1999-12", default_last=JUNE, latest=JUNE)

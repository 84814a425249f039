"""GET /city/dashboard over the real app, on SQLite and PostgreSQL: the figures of the
world of :mod:`tests.api.city_stats.conftest`, worked out by hand; only city staff."""

from datetime import timedelta
from typing import Any

import pytest

from api.accounts import Role
from api.irrigation import store as water_store
from irrigation.runner import load_state
from tests.api.city_stats.conftest import EAST, FLOODING_MM_DAY, MIDDLE, WEST, World
from tests.api.conftest import Api


def _cells(answer: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(c["month"], c["district"]): c for c in answer["cells"]}


def test_the_dashboard_counts_each_record_once_where_it_happened(
    city_api: Api, world: World
) -> None:
    _, staff = city_api.person(Role.CITY_ADMIN)
    answer = staff.get("/city/dashboard", params={"from": "2026-06", "to": "2026-07"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["first_month"], body["last_month"]) == ("2026-06", "2026-07")
    assert body["districts"] == [WEST, MIDDLE, EAST]
    assert body["districts_source"] == "districts.geojson"
    cells, area = _cells(body), world.area_ha
    assert set(cells) == {
        ("2026-06", WEST), ("2026-06", MIDDLE), ("2026-06", EAST), ("2026-07", WEST),
    }  # fmt: skip

    west = cells["2026-06", WEST]
    assert west["sprayed_ha"] == pytest.approx(2 * area["B000"], abs=1e-4)  # sprayed twice
    assert area["B000"] == pytest.approx(0.30, abs=0.005)  # rect_30x100
    assert west["sprayed_fields"] == 2
    assert (west["flights"], west["simulated_flights"]) == (2, 1)
    assert west["flight_h"] == pytest.approx((600 + 1800) / 3600, abs=1e-3)
    assert (west["deliveries_made"], west["deliveries_returned"]) == (0, 1)

    assert cells["2026-06", MIDDLE]["sprayed_ha"] == pytest.approx(area["B004"], abs=1e-4)
    east = cells["2026-06", EAST]
    assert east["sprayed_ha"] == pytest.approx(area["B005"] + area["B006"] + area["B007"], abs=1e-4)
    assert (east["sprayed_fields"], east["flights"]) == (3, 0)
    assert (east["deliveries_made"], east["deliveries_failed"]) == (1, 0)

    july = cells["2026-07", WEST]
    assert july["surveyed_ha"] == pytest.approx(area["B001"], abs=1e-4)
    assert area["B001"] == pytest.approx(0.60, abs=0.01)  # rect_50x120
    assert (july["surveyed_fields"], july["sprayed_ha"]) == (1, 0.0)

    # Paddy water: what the controller itself counted, and the storm it held.
    state = water_store.get_paddy(city_api.engine, world.paddy)
    assert state.control_state is not None
    counted_m3 = load_state(state.control_state).water_today_m3
    assert counted_m3 > 0
    assert east["inlet_water_m3"] == pytest.approx(counted_m3, abs=0.01)
    assert east["watched_paddy_days"] == 1  # levels arrived on 1 June only
    need_m3 = FLOODING_MM_DAY / 1000 * 3000.0  # one day of 減水深 over 30 a, no rain recorded
    assert east["flooding_need_m3"] == pytest.approx(need_m3)
    assert east["water_saved_m3"] == pytest.approx(need_m3 - counted_m3, abs=0.01)
    # Held from 6 cm when the warning came to 10 cm at the top: 4 cm over 3000 m².
    assert east["paddy_dam_storage_m3"] == pytest.approx(120.0)
    events, _ = water_store.list_events(city_api.engine, world.paddy, kind="mode")
    began = min(e.at for e in events if e.details["to"] == "paddy_dam")
    ended = min(e.at for e in events if e.details["from"] == "paddy_dam")
    assert east["paddy_dam_h"] == pytest.approx((ended - began) / timedelta(hours=1), abs=1e-3)
    assert east["alerts_by_kind"].get("paddy_dam", 0) >= 1
    assert east["alerts"] == sum(east["alerts_by_kind"].values())

    june, july_total = body["totals"]
    assert june["district"] == "all"
    assert june["sprayed_ha"] == pytest.approx(
        sum(c["sprayed_ha"] for k, c in cells.items() if k[0] == "2026-06"), abs=1e-3
    )
    assert (june["rain_warnings"], july_total["rain_warnings"]) == (1, 0)
    assert (june["deliveries_made"], june["deliveries_returned"]) == (1, 1)
    assert any("減水深" in note for note in body["notes"])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # roles, not storage
def test_only_city_staff_see_the_dashboard(api: Api) -> None:
    for role in (Role.FARMER, Role.OPERATOR, Role.PHARMACY):
        _, client = api.person(role)
        answer = client.get("/city/dashboard")
        assert answer.status_code == 403, role
        assert answer.headers["content-type"] == "application/problem+json"
    assert api.client().get("/city/dashboard").status_code == 401
    _, staff = api.person(Role.CITY_ADMIN)
    assert staff.get("/city/dashboard").status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize(
    ("query", "named"),
    [
        ({"from": "2026-13"}, "query.from"),
        ({"to": "June"}, "query.to"),
        ({"from": "1999-12"}, "query.from"),
    ],
)
def test_a_bad_month_is_a_problem_naming_it(api: Api, query: dict[str, str], named: str) -> None:
    _, staff = api.person(Role.CITY_ADMIN)
    answer = staff.get("/city/dashboard", params=query)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert named in answer.json()["detail"]


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_months_come_in_either_order_and_the_future_is_left_out(api: Api) -> None:
    _, staff = api.person(Role.CITY_ADMIN)  # the clock is at 1 June 2026
    body = staff.get("/city/dashboard", params={"from": "2026-12", "to": "2026-04"}).json()
    assert (body["first_month"], body["last_month"]) == ("2026-04", "2026-06")
    assert [t["month"] for t in body["totals"]] == ["2026-04", "2026-05", "2026-06"]
    ahead = staff.get("/city/dashboard", params={"from": "2027-01"}).json()
    assert (ahead["first_month"], ahead["totals"]) == (None, [])


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_a_districts_file_fields_go_by_municipality(api: Api, world_by_code: str) -> None:
    _, staff = api.person(Role.CITY_ADMIN)
    body = staff.get("/city/dashboard", params={"from": "2026-06", "to": "2026-06"}).json()
    assert body["districts"] == []
    assert body["districts_source"] is None
    assert [(c["district"], c["sprayed_fields"]) for c in body["cells"]] == [(world_by_code, 1)]

"""GET /open-data over the real app, on SQLite and PostgreSQL, without logging in: the
catalogue, and each dataset as CSV that parses and GeoJSON whose features are the
districts' polygons, small cells blank (the world of :mod:`tests.api.city_stats.conftest`)."""

import csv
import io
from datetime import datetime
from urllib.parse import urlsplit

import pytest
import shapely.geometry

from api.scheduling import JST
from tests.api.city_stats.conftest import EAST, MIDDLE, WEST, World, districts_geojson
from tests.api.conftest import Api

JUNE_JULY = {"from": "2026-06", "to": "2026-07"}
AUGUST = datetime(2026, 8, 1, 9, 0, tzinfo=JST)


def _august(api: Api) -> None:
    """Time passes into August: July is complete, and open data may show it."""
    api.clock.advance((AUGUST - api.clock.now()).total_seconds())


def _rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_the_catalogue_documents_every_dataset_for_anyone(city_api: Api) -> None:
    answer = city_api.client().get("/open-data")  # no token
    assert answer.status_code == 200, answer.text
    catalogue = answer.json()
    assert (catalogue["licence"], catalogue["min_group"]) == ("CC BY 4.0", 3)
    assert "fewer than 3 distinct parties" in catalogue["suppression"]
    ids = [d["id"] for d in catalogue["datasets"]]
    assert ids == [
        "activity-by-district-month",
        "deliveries-by-district-month",
        "paddy-water-by-district-month",
    ]
    for dataset in catalogue["datasets"]:
        assert dataset["columns"], dataset["id"]
        assert all(c["unit"] for c in dataset["columns"])
        assert "CC BY 4.0" in dataset["description"]
        for url in (dataset["csv_url"], dataset["geojson_url"]):
            path = urlsplit(url).path
            assert path.startswith("/open-data/")
            assert city_api.client().get(path).status_code == 200, path


def test_activity_csv_parses_and_blanks_the_cells_of_few_farmers(
    city_api: Api, world: World
) -> None:
    _august(city_api)
    answer = city_api.client().get("/open-data/activity-by-district-month.csv", params=JUNE_JULY)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = _rows(answer.content.decode("utf-8-sig"))
    assert list(rows[0]) == [
        "month", "district", "sprayed_ha", "surveyed_ha", "flights", "flight_h", "suppressed",
    ]  # fmt: skip
    shown = {(r["month"], r["district"]): r for r in rows}
    assert list(shown) == [(m, d) for m in ("2026-06", "2026-07") for d in (WEST, MIDDLE, EAST)]
    # 西 in June (farmer 1 and a pilot) and 中 (farmer 1) are too few; 西 in July (farmer 2's
    # survey) too; 中 in July, empty, is blanked beside 中 in June so June's cannot be worked out.
    blank = {k for k, r in shown.items() if r["suppressed"] == "true"}
    assert blank == {("2026-06", WEST), ("2026-06", MIDDLE), ("2026-07", WEST), ("2026-07", MIDDLE)}
    for key in blank:
        assert [shown[key][c] for c in ("sprayed_ha", "flights", "flight_h")] == ["", "", ""]
    east = shown["2026-06", EAST]  # three farmers: shown
    three = world.area_ha["B005"] + world.area_ha["B006"] + world.area_ha["B007"]
    assert float(east["sprayed_ha"]) == pytest.approx(round(three, 2))
    assert (east["flights"], east["suppressed"]) == ("0", "false")


def test_deliveries_and_water_keep_each_recipient_and_farm_out(city_api: Api, world: World) -> None:
    _august(city_api)
    client = city_api.client()
    deliveries = _rows(
        client.get("/open-data/deliveries-by-district-month.csv", params=JUNE_JULY)
        .content.decode("utf-8-sig")
    )  # fmt: skip
    visible = {(r["month"], r["district"]) for r in deliveries if r["suppressed"] == "false"}
    assert visible == {("2026-06", MIDDLE), ("2026-07", MIDDLE)}  # nothing was delivered there
    water = _rows(
        client.get("/open-data/paddy-water-by-district-month.csv", params=JUNE_JULY)
        .content.decode("utf-8-sig")
    )  # fmt: skip
    east = next(r for r in water if (r["month"], r["district"]) == ("2026-06", EAST))
    assert (east["suppressed"], east["inlet_water_m3"], east["alerts"]) == ("true", "", "")


def test_geojson_features_are_the_districts_with_their_months(city_api: Api, world: World) -> None:
    _august(city_api)
    answer = city_api.client().get(
        "/open-data/activity-by-district-month.geojson", params=JUNE_JULY
    )
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/geo+json"
    collection = answer.json()
    assert collection["type"] == "FeatureCollection"
    assert (collection["licence"], collection["months"]) == ("CC BY 4.0", ["2026-06", "2026-07"])
    districts = {
        f["properties"]["name"]: shapely.geometry.shape(f["geometry"])
        for f in districts_geojson()["features"]
    }
    features = {f["properties"]["district"]: f for f in collection["features"]}
    assert list(features) == [WEST, MIDDLE, EAST]
    for name, feature in features.items():
        assert feature["type"] == "Feature"
        shape = shapely.geometry.shape(feature["geometry"])
        assert shape.is_valid
        assert shape.equals(districts[name])
        assert set(feature["properties"]) == {"district"} | {
            f"{column}_{month}"
            for month in ("2026-06", "2026-07")
            for column in ("sprayed_ha", "surveyed_ha", "flights", "flight_h", "suppressed")
        }
    west, east = features[WEST]["properties"], features[EAST]["properties"]
    assert (west["suppressed_2026-06"], west["sprayed_ha_2026-06"]) == (True, None)
    three = world.area_ha["B005"] + world.area_ha["B006"] + world.area_ha["B007"]
    assert east["sprayed_ha_2026-06"] == pytest.approx(round(three, 2))
    assert (east["suppressed_2026-06"], east["flights_2026-06"]) == (False, 0)


def test_by_default_the_twelve_months_before_this_one(city_api: Api, world: World) -> None:
    answer = city_api.client().get("/open-data/deliveries-by-district-month.csv")
    rows = _rows(answer.content.decode("utf-8-sig"))
    months = sorted({r["month"] for r in rows})
    assert (months[0], months[-1], len(months)) == ("2025-07", "2026-06", 12)  # asked in July
    assert len(rows) == 12 * 3
    # July, still filling, is not given even when asked for: successive downloads of it
    # would tell one party's newest records apart.
    asked = city_api.client().get("/open-data/deliveries-by-district-month.csv", params=JUNE_JULY)
    assert {r["month"] for r in _rows(asked.content.decode("utf-8-sig"))} == {"2026-06"}


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_unknown_dataset_or_month_is_a_problem(api: Api) -> None:
    client = api.client()
    unknown = client.get("/open-data/everything.csv")
    assert unknown.status_code == 422
    assert "path.dataset_id" in unknown.json()["detail"]
    month = client.get("/open-data/activity-by-district-month.csv", params={"to": "2026-00"})
    assert month.status_code == 422
    assert month.headers["content-type"] == "application/problem+json"
    assert "query.to" in month.json()["detail"]

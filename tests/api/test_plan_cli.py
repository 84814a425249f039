"""`tanbo plan` as a user runs it: real files in, files QGroundControl and MAVProxy load out."""

import csv
import json
from pathlib import Path

import pytest

from mission_planner import read_qgc_plan, read_waypoints
from tests.api.test_cli import tanbo

KASAI = "kasai_benchmark_fields.geojson"
HOUSES = "kasai_benchmark_no_spray.geojson"


def summary(out: Path) -> list[dict[str, str]]:
    with (out / "summary.csv").open() as handle:
        return list(csv.DictReader(handle))


def test_spray_writes_plan_waypoints_geojson_and_summary(tmp_path: Path, sample_data: Path) -> None:
    out = tmp_path / "out"
    result = tanbo(
        "plan", "spray", sample_data / KASAI, "--id", "B000", "--id", "B007", "--swath", "5",
        "--no-spray", sample_data / HOUSES, "--tank-l", "10", "--rate-l-ha", "80",
        "--endurance-min", "12", "--out", out, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = {r["id"]: r for r in summary(out)}
    assert set(rows) == {"B000", "B007"}
    assert int(rows["B000"]["sorties"]) >= 2  # 10 L at 80 L/ha sprays 250 m of 5 m swath
    assert float(rows["B007"]["coverage"]) >= 0.995
    for fid in ("B000", "B007"):
        plan = json.loads((out / f"{fid}.plan").read_text())
        assert plan["fileType"] == "Plan"
        assert plan["mission"]["firmwareType"] == 3
        assert plan["geoFence"]["polygons"][0]["inclusion"] is True
        assert plan["rallyPoints"]["points"]
        from_plan = read_qgc_plan((out / f"{fid}.plan").read_text())
        from_waypoints = read_waypoints((out / f"{fid}.waypoints").read_text())
        assert [i.command for i in from_plan.items] == [i.command for i in from_waypoints.items]
        assert from_plan.items[0].command == 22  # NAV_TAKEOFF first
        assert from_plan.items[-1].command == 20  # RTL last
        legs = [f for f in json.loads((out / f"{fid}.geojson").read_text())["features"]
                if f["properties"]["kind"] == "leg"]  # fmt: skip
        assert legs[0]["properties"]["sortie"] == 1
        assert {f["properties"]["action"] for f in legs} == {"spray", "transit"}
        assert all(f["geometry"]["type"] == "LineString" for f in legs)
        assert max(f["properties"]["altitude_m"] for f in legs) <= 150


def test_min_coverage_trades_rings_for_path(tmp_path: Path, sample_data: Path) -> None:
    # By default rings are flown inside the edge pass while the field is still 99.5 %
    # sprayed; at 100 % the field gets the one edge pass and parallel passes.
    rows = {}
    for pct in ("99.5", "100"):
        out = tmp_path / pct
        result = tanbo("plan", "spray", sample_data / KASAI, "--id", "B007", "--swath", "5",
                       "--min-coverage", pct, "--out", out, cwd=tmp_path)  # fmt: skip
        assert result.returncode == 0, result.stderr
        (rows[pct],) = summary(out)
    assert float(rows["99.5"]["path_m"]) < float(rows["100"]["path_m"])
    assert float(rows["99.5"]["coverage"]) >= 0.995
    assert float(rows["100"]["coverage"]) >= 0.998


def test_bad_features_are_named_and_the_rest_planned(tmp_path: Path, sample_data: Path) -> None:
    out = tmp_path / "out"
    result = tanbo("plan", "spray", sample_data / "hostile_fields.geojson", "--swath", "5",
                   "--out", out, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert any(line.startswith("refused H-SWAP: latitude") for line in lines)
    assert any(line.startswith("refused H-POINT: not a polygon") for line in lines)
    assert "Traceback" not in result.stderr
    assert {r["id"] for r in summary(out)} == {"H-BOWTIE", "H-OVERLAP", "H-GOOD"}


def test_an_altitude_above_150_m_is_refused_with_its_rule(
    tmp_path: Path, sample_data: Path
) -> None:
    result = tanbo("plan", "spray", sample_data / KASAI, "--id", "B000", "--swath", "5",
                   "--altitude", "151", "--out", tmp_path / "o", cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "B000:" in result.stderr
    assert "150" in result.stderr
    assert summary(tmp_path / "o") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--home", "134.8,34.9"), "latitude 134.8 is outside -90..90"),
        (("--angle", "north"), "auto or a number of degrees"),
        (("--tank-l", "10"), "give --tank-l and --rate-l-ha together"),
        (("--min-coverage", "80"), "'--min-coverage': Input should be greater than or equal to 90"),
        (("--swath", "x"), "Invalid value for '--swath'"),
    ],
)
def test_bad_options_are_usage_errors(
    tmp_path: Path, sample_data: Path, args: tuple[str, ...], message: str
) -> None:
    result = tanbo("plan", "spray", sample_data / KASAI, "--swath", "5", "--out", tmp_path / "o",
                   *args, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    # One line naming the command and the option, not Typer's boxed usage.
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("tanbo plan spray: ")
    assert message in line


def test_registered_fields_are_planned_by_id(tmp_path: Path, sample_data: Path) -> None:
    assert tanbo("fields", "import", sample_data / KASAI, cwd=tmp_path).returncode == 0
    out = tmp_path / "out"
    result = tanbo("plan", "spray", "B001,B002", "--swath", "5", "--out", out, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert {r["id"] for r in summary(out)} == {"B001", "B002"}
    missing = tanbo("plan", "spray", "B001,NOPE", "--swath", "5", "--out", out, cwd=tmp_path)
    assert missing.returncode == 2
    assert "NOPE: no registered field with this id" in missing.stderr


def test_survey_reports_images_and_covers_the_field(tmp_path: Path, sample_data: Path) -> None:
    out = tmp_path / "out"
    result = tanbo("plan", "survey", sample_data / KASAI, "--id", "B007", "--camera",
                   "DJI Mavic 3M RGB", "--gsd-cm", "1.5", "--out", out, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    (row,) = summary(out)
    assert float(row["coverage"]) >= 0.999
    items = read_qgc_plan((out / "B007.plan").read_text()).items
    assert any(item.command == 206 and item.param1 > 0 for item in items)  # trigger distance
    unknown = tanbo("plan", "survey", sample_data / KASAI, "--camera", "Box Brownie",
                    "--gsd-cm", "2", "--out", out, cwd=tmp_path)  # fmt: skip
    assert unknown.returncode == 2
    assert "Box Brownie" in unknown.stderr


def test_delivery_goes_round_a_no_fly_zone(tmp_path: Path) -> None:
    zone = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": {"id": "school", "kind": "airport"},
                      "geometry": {"type": "Polygon", "coordinates": [[
                          [134.848, 34.931], [134.852, 34.931], [134.852, 34.936],
                          [134.848, 34.936], [134.848, 34.931]]]}}],
    }  # fmt: skip
    (tmp_path / "zone.geojson").write_text(json.dumps(zone))
    out = tmp_path / "out"
    result = tanbo("plan", "delivery", "--from", "34.9283,134.8414", "--to", "34.9400,134.8600",
                   "--no-fly", tmp_path / "zone.geojson", "--payload-kg", "1.5", "--out", out,
                   cwd=tmp_path)  # fmt: skip
    assert result.returncode == 0, result.stderr
    legs = [f for f in json.loads((out / "delivery.geojson").read_text())["features"]
            if f["properties"]["kind"] == "leg"]  # fmt: skip
    assert [f["properties"]["action"] for f in legs] == ["deliver", "transit"]
    assert len(legs[0]["geometry"]["coordinates"]) > 2  # it bends round the zone
    heavy = tanbo("plan", "delivery", "--from", "34.9283,134.8414", "--to", "35.1,135.1",
                  "--payload-kg", "4", "--out", out, cwd=tmp_path)  # fmt: skip
    assert heavy.returncode == 2
    assert "refused delivery" in heavy.stderr


def test_one_mission_takes_several_fields_nearest_first(tmp_path: Path, sample_data: Path) -> None:
    out = tmp_path / "out"
    result = tanbo(
        "plan", "spray", sample_data / KASAI, "--id", "B000", "--id", "B001", "--id", "B002",
        "--swath", "5", "--tank-l", "10", "--rate-l-ha", "80", "--one-mission", "--out", out,
        cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "permissions needed: carrying dangerous goods" in result.stdout
    assert {r["id"] for r in summary(out)} == {"B000", "B001", "B002"}
    doc = json.loads((out / "mission.geojson").read_text())
    assert doc["tanbo"]["kind"] == "spray"
    legs = [f for f in doc["features"] if f["properties"]["kind"] == "leg"]
    sorties = [f["properties"]["sortie"] for f in legs]
    assert sorties == sorted(sorties)
    assert sorties[-1] == doc["tanbo"]["sorties"] > 1


def test_survey_crosshatch_doubles_the_lines(tmp_path: Path, sample_data: Path) -> None:
    base = ("plan", "survey", sample_data / KASAI, "--id", "B007", "--camera", "DJI Mavic 3M RGB",
            "--altitude", "40")  # fmt: skip
    single = tanbo(*base, "--out", tmp_path / "a", cwd=tmp_path)
    double = tanbo(*base, "--crosshatch", "--angle", "0", "--out", tmp_path / "b", cwd=tmp_path)
    assert single.returncode == 0, single.stderr
    assert double.returncode == 0, double.stderr
    (a,) = summary(tmp_path / "a")
    (b,) = summary(tmp_path / "b")
    assert float(b["path_m"]) > 1.6 * float(a["path_m"])


def test_pump_on_a_servo_channel_instead_of_do_sprayer(tmp_path: Path, sample_data: Path) -> None:
    out = tmp_path / "out"
    result = tanbo(
        "plan", "spray", sample_data / KASAI, "--id", "B001", "--swath", "5",
        "--sprayer", "do_set_servo", "--servo", "10", "--out", out, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    items = read_qgc_plan((out / "B001.plan").read_text()).items
    servo = [i for i in items if i.command == 183]
    assert servo
    assert {i.param1 for i in servo} == {10.0}
    assert {i.param2 for i in servo} == {1900.0, 1100.0}  # on over passes, off for hops
    assert not [i for i in items if i.command == 216]


def _fields_file(tmp_path: Path, features: list[tuple[dict[str, object], object]]) -> Path:
    from tests.common.geometries import feature_collection

    return feature_collection(features, tmp_path / "fields.geojson")


def test_a_far_no_fly_zone_on_the_way_home_is_respected(tmp_path: Path) -> None:
    import shapely

    from tests.common.geometries import at, feature_collection, rect

    path = _fields_file(tmp_path, [({"id": "F1"}, rect(0, 0, 40, 100))])
    airport = feature_collection(
        [({"id": "RJ", "kind": "airport"}, rect(-300, -800, 600, 100))], tmp_path / "rj.geojson"
    )
    lon, lat = at(20, -1500)  # home 1.5 km south, the airport between
    out = tmp_path / "out"
    result = tanbo(
        "plan", "spray", path, "--swath", "5", "--home", f"{lat},{lon}",
        "--no-spray", airport, "--out", out, cwd=tmp_path,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    zone = shapely.Polygon(rect(-300, -800, 600, 100).exterior.coords)
    for f in json.loads((out / "F1.geojson").read_text())["features"]:
        if f["properties"]["kind"] == "leg":
            line = shapely.LineString(f["geometry"]["coordinates"])
            assert line.intersection(zone).length < 1e-7, "a leg crosses the airport"


def test_a_refused_zone_stops_all_planning(tmp_path: Path) -> None:
    from tests.common.geometries import feature_collection, line, rect

    path = _fields_file(tmp_path, [({"id": "F1"}, rect(0, 0, 40, 100))])
    zones = feature_collection(
        [({"id": "PL", "kind": "powerline"}, line()), ({"id": "H"}, rect(50, 0, 10, 10))],
        tmp_path / "zones.geojson",
    )
    out = tmp_path / "out"
    result = tanbo("plan", "spray", path, "--swath", "5", "--no-spray", zones, "--out", out,
                   cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert "PL (#0): zone kind 'powerline' is not one of" in result.stderr
    assert "nothing planned" in result.stderr
    assert not out.exists()


def test_ids_that_cannot_name_files_or_repeat_are_refused(tmp_path: Path) -> None:
    from tests.common.geometries import rect

    path = _fields_file(
        tmp_path,
        [
            ({"id": "../escaped"}, rect(0, 0, 30, 60)),
            ({"id": "A/1"}, rect(100, 0, 30, 60)),
            ({"id": "ok"}, rect(200, 0, 30, 60)),
            ({"id": "ok"}, rect(300, 0, 30, 60)),
            ({"id": "17"}, rect(400, 0, 30, 60)),
        ],
    )
    out = tmp_path / "out"
    result = tanbo("plan", "spray", path, "--swath", "5", "--out", out, cwd=tmp_path)
    assert result.returncode == 2
    assert "refused ../escaped: an id must be letters" in result.stderr
    assert "refused A/1: an id must be letters" in result.stderr
    assert "refused ok: another field of fields.geojson has this id" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "17.geojson", "17.plan", "17.waypoints", "ok.geojson", "ok.plan", "ok.waypoints",
        "summary.csv",
    ]  # fmt: skip
    assert not (tmp_path / "escaped.plan").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--angle", "nan"), "auto or a number of degrees"),
        (("--angle", "inf"), "auto or a number of degrees"),
    ],
)
def test_non_finite_angles_are_usage_errors(
    tmp_path: Path, sample_data: Path, args: tuple[str, ...], message: str
) -> None:
    result = tanbo("plan", "spray", sample_data / KASAI, "--swath", "5", "--out", tmp_path / "o",
                   *args, cwd=tmp_path)  # fmt: skip
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_an_empty_id_list_plans_nothing(tmp_path: Path) -> None:
    result = tanbo("plan", "spray", ",", "--swath", "5", "--out", tmp_path / "o", cwd=tmp_path)
    assert result.returncode == 2
    assert "no field ids given" in result.stderr

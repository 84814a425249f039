"""The Smart Data Models entries shipped with Tanbo are those the installed package gives."""

import json
from pathlib import Path

from api.city_platform import schemas


def test_the_shipped_entries_are_the_installed_packages() -> None:
    # Loading the package's attribute database takes seconds and most of a gigabyte; the
    # shipped file replaces it only if it says exactly what the package says.
    shipped = json.loads(schemas.EXTRACT.read_text(encoding="utf-8"))
    fresh = json.loads(json.dumps(schemas.extract(schemas.from_package()), ensure_ascii=False))
    assert shipped == fresh
    assert set(shipped["models"]) == {
        f"{m.subject}/{m.name}" for m in (*schemas.PUBLISHED_MODELS, schemas.WATER_OBSERVED)
    }
    assert all(shipped["models"].values())
    assert schemas.shipped_entries() is not None  # read, at this package version


def test_entries_of_another_package_version_are_not_read(tmp_path: Path) -> None:
    other = json.loads(schemas.EXTRACT.read_text(encoding="utf-8"))
    other["pysmartdatamodels"] = "0.0.1"
    path = tmp_path / "smart_data_models.json"
    path.write_text(json.dumps(other), encoding="utf-8")
    assert schemas.shipped_entries(path) is None
    assert schemas.shipped_entries(tmp_path / "missing.json") is None

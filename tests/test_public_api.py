"""The public surface of each package is declared and importable (ruff RUF022 keeps it sorted)."""

import importlib
import pkgutil
import subprocess
import sys

import pytest

import core
import fields
import irrigation
import logistics

PACKAGES = ["core", "fields", "mission_planner", "fleet", "sim", "irrigation", "logistics", "api"]


def _modules() -> list[str]:
    names = []
    for package in PACKAGES:
        module = importlib.import_module(package)
        names.append(package)
        for info in pkgutil.walk_packages(module.__path__, prefix=f"{package}."):
            if ".migrations" not in info.name:
                names.append(info.name)
    return names


@pytest.mark.parametrize("name", _modules())
def test_every_public_name_exists(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        declared = ("core", "fields", "fleet", "sim", "irrigation", "logistics")
        assert name in ("api", "api.demo.data") or not name.startswith(declared), (
            f"{name} declares no __all__"
        )
        return
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    for attribute in exported:
        assert hasattr(module, attribute), f"{name}.__all__ names {attribute}, which is missing"


def test_core_surface_is_pinned() -> None:
    assert core.__all__ == [
        "Clock", "FakeClock", "FieldId", "GeoPoint", "LocalPoint", "OwnerName", "ScaledClock",
        "SystemClock",
        "TanboError", "ZoneId", "deg_to_e7", "e7_to_deg", "ha_to_m2", "m2_to_ha",
    ]  # fmt: skip


def test_fields_reexports_every_submodules_surface() -> None:
    for sub in ("crs", "errors", "export", "importing", "model", "read", "validate", "zones"):
        module = importlib.import_module(f"fields.{sub}")
        missing = set(module.__all__) - set(fields.__all__)
        assert not missing, f"fields does not re-export {sorted(missing)} from fields.{sub}"


IRRIGATION_ROOT_MODULES = (
    "calendar", "calendar_presets", "calendar_stages", "control_state", "controller",
    "crop_water", "errors", "faults", "lorawan", "model", "plausibility", "runner", "simulate",
    "water_balance", "weather", "wire",
)  # fmt: skip
"""Every irrigation module but the MQTT edge (mqtt, gates_mqtt), which imports aiomqtt."""


def test_irrigation_reexports_every_submodules_surface() -> None:
    for sub in IRRIGATION_ROOT_MODULES:
        module = importlib.import_module(f"irrigation.{sub}")
        missing = set(module.__all__) - set(irrigation.__all__)
        assert not missing, f"irrigation does not re-export {sorted(missing)} from irrigation.{sub}"
        for name in module.__all__:
            assert getattr(irrigation, name) is getattr(module, name), f"irrigation.{name} clashes"


def test_irrigation_reexports_only_its_submodules_surface() -> None:
    surfaces = set().union(
        *(importlib.import_module(f"irrigation.{sub}").__all__ for sub in IRRIGATION_ROOT_MODULES)
    )
    assert set(irrigation.__all__) == surfaces


def test_irrigation_root_stays_light() -> None:
    """``import irrigation`` pulls in neither the MQTT client nor pandas and AquaCrop."""
    code = "import sys, irrigation; print(' '.join(sorted(sys.modules)))"
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    heavy = {"aiomqtt", "paho", "pandas", "pyet", "aquacrop"}
    assert heavy.isdisjoint(loaded), sorted(heavy.intersection(loaded))


AGRONOMY_ROOT_MODULES = (
    "bands", "errors", "imagefiles", "index_grid", "indices", "isoxml", "model", "prescription",
    "prescription_io", "products", "rasters", "rate_grid", "rate_map", "reading", "sentinel2",
    "zonal", "zones_io",
)  # fmt: skip
"""Every fields.agronomy module but those importing scikit-learn, matplotlib or aquacrop
(imported by path, see the package docstring) and the internal exact and field_window."""
AGRONOMY_BY_PATH = {
    "exact", "field_window", "forecast", "generated_history", "harvests", "maps", "mgmt_zones",
    "weighted",
    "n_response", "season", "season_inputs", "season_outcome", "season_reference", "yield_cv",
    "yield_features", "yield_model", "yield_monitor",
}  # fmt: skip


def test_agronomy_reexports_its_light_modules_and_names_the_rest() -> None:
    import pkgutil

    import fields.agronomy as agronomy

    modules = {m.name for m in pkgutil.iter_modules(agronomy.__path__)}
    assert modules == set(AGRONOMY_ROOT_MODULES) | AGRONOMY_BY_PATH, "a new module: place it"
    surfaces: set[str] = set()
    for sub in AGRONOMY_ROOT_MODULES:
        module = importlib.import_module(f"fields.agronomy.{sub}")
        surfaces |= set(module.__all__)
        for name in module.__all__:
            assert getattr(agronomy, name) is getattr(module, name), f"agronomy.{name} clashes"
    assert set(agronomy.__all__) == surfaces


LOGISTICS_MODULES = (
    "cold_chain", "dispatch", "drop_points", "errors", "feasibility", "lifecycle", "model",
    "schedule", "telemetry", "timing",
)  # fmt: skip
"""Every logistics module but the greedy baseline, kept only for comparison, and the
internals of dispatch (routing: the OR-tools model; repair: timing and the repair pass)."""


def test_logistics_reexports_its_submodules_surface() -> None:
    for sub in LOGISTICS_MODULES:
        module = importlib.import_module(f"logistics.{sub}")
        for name in module.__all__:
            assert getattr(logistics, name) is getattr(module, name), f"logistics.{name}"
    surfaces = set().union(
        *(importlib.import_module(f"logistics.{sub}").__all__ for sub in LOGISTICS_MODULES)
    )
    assert set(logistics.__all__) == surfaces

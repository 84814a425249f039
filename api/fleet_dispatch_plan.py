"""What :class:`~api.fleet_dispatch.FleetDispatch` does before a flight starts: everything
that can refuse a dispatched mission in words.

The vehicle must be registered, not retired, reachable by a connection and fit for the
work; the fields registered; the parameters those ``POST /plans/spray`` (or
``/plans/survey``) takes, checked by the same model; and the plan is made as that route
makes it (registered zones, the settings' buffers), then written under
``<data dir>/missions/<id>/`` and read back as ``tanbo fly`` reads a plan file: what
flies is exactly what an operator can open.
Every failure leaves through one boundary, :func:`prepare_flight`, as
:class:`DispatchRefused`.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import Engine

from api import fleet_store, planning, registry
from api.config import Settings
from api.flying import FlightFile, load_flight_file
from api.plan_requests import (
    SprayWork,
    SurveyWork,
    mission_work,
    spray_job,
    spray_params,
    survey_area,
    survey_job,
)
from api.scheduling import Mission, MissionKind, is_eligible
from api.scheduling.errors import SchedulingError
from core.errors import TanboError
from fleet.registry import VehicleRecord
from fleet.transport import parse_url

__all__ = ["DispatchRefused", "MissionFlight", "mission_dir", "prepare_flight"]


class DispatchRefused(SchedulingError):
    """The fleet cannot take a mission; the message names the mission and what is wrong."""


@dataclass(frozen=True, kw_only=True, slots=True)
class MissionFlight:
    """A dispatched mission ready to fly: its vehicle, its plan file and how it flies."""

    vehicle: VehicleRecord
    connection: str
    flight_file: FlightFile
    speed_m_s: float
    """The work's speed, m/s (the flight's estimate where the plan does not say)."""
    endurance_min: float | None
    """Flight time of a full battery the work was planned with, min; None: not given."""


def mission_dir(settings: Settings, mission_id: int) -> Path:
    """Where a dispatched mission's plan files are kept."""
    return settings.data_dir / "missions" / str(mission_id)


def prepare_flight(engine: Engine, settings: Settings, mission: Mission) -> MissionFlight:
    """Check ``mission``'s vehicle, plan its fields and keep the plan's files.

    Raises
    ------
    DispatchRefused
        The vehicle, a field, the parameters or the plan, in words.
    """
    with _refusing(mission.id):
        vehicle, connection = _vehicle(engine, mission)
        return _plan(engine, settings, mission, vehicle, connection)


@contextmanager
def _refusing(mission_id: int) -> Iterator[None]:
    """The one boundary where what went wrong before take-off becomes DispatchRefused."""
    try:
        yield
    except DispatchRefused:
        raise
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc']) or 'params'}: {e['msg']}" for e in exc.errors()
        )
        raise DispatchRefused(f"mission {mission_id}: its parameters: {problems}") from exc
    except (TanboError, ValueError) as exc:
        raise DispatchRefused(f"mission {mission_id}: {planning.describe_refusal(exc)}") from exc
    except OSError as exc:
        where = f" {exc.filename}" if exc.filename else ""
        raise DispatchRefused(
            f"mission {mission_id}: its plan could not be kept{where}: {exc.strerror or exc}"
        ) from exc


def _vehicle(engine: Engine, mission: Mission) -> tuple[VehicleRecord, str]:
    if mission.vehicle is None:
        raise DispatchRefused(f"mission {mission.id} has no vehicle booked")
    vehicle = fleet_store.get_vehicle(engine, mission.vehicle)
    reg = vehicle.registration
    if vehicle.retired:
        raise DispatchRefused(f"mission {mission.id}: vehicle {reg} is retired")
    if not vehicle.connection:
        raise DispatchRefused(f"mission {mission.id}: vehicle {reg} has no connection")
    parse_url(vehicle.connection)
    if not is_eligible(vehicle, mission.kind):
        unfit = (
            "has no sprayer or tank to spray with"
            if mission.kind is MissionKind.SPRAY
            else "is a sprayer; surveys fly on camera drones (no sprayer, no tank)"
        )
        raise DispatchRefused(f"mission {mission.id}: vehicle {reg} {unfit}")
    return vehicle, vehicle.connection


def _plan(
    engine: Engine, settings: Settings, mission: Mission, vehicle: VehicleRecord, connection: str
) -> MissionFlight:
    """The mission's plan, as its route makes it, written and read back as a file."""
    work = mission_work(mission.params)
    kind = MissionKind.SURVEY if isinstance(work, SurveyWork) else MissionKind.SPRAY
    if kind is not mission.kind:
        raise DispatchRefused(
            f"mission {mission.id}: its parameters are for {kind.value} work, "
            f"not a {mission.kind.value} mission"
        )
    if isinstance(work, SprayWork):
        work = _check_spray(mission, work, vehicle)
    fields = registry.list_fields(engine, ids=mission.field_ids)
    missing = sorted(set(mission.field_ids) - {f.id for f in fields})
    if missing:
        raise DispatchRefused(f"mission {mission.id}: no registered field {', '.join(missing)}")
    # A field deleted and registered again by someone else keeps its id, not its owner.
    foreign = sorted(f.id for f in fields if f.owner != mission.owner)
    if foreign:
        raise DispatchRefused(
            f"mission {mission.id}: field {', '.join(foreign)} is no longer its farmer's"
        )
    folder = mission_dir(settings, mission.id)
    name = f"mission-{mission.id}"
    if isinstance(work, SurveyWork):
        plan = survey_job(engine, settings, work, fields)
        planning.write_plan(folder, name, plan, field=survey_area(fields)[0])
        endurance_min = None  # a survey request gives none: the fleet's default
    else:
        job = spray_job(engine, settings, work, fields)
        planning.write_plan(folder, name, job.plan, field=job.work, zones=job.zones)
        endurance_min = work.endurance_min
    return MissionFlight(
        vehicle=vehicle,
        connection=connection,
        flight_file=load_flight_file(folder / f"{name}.plan"),
        speed_m_s=work.speed_m_s,
        endurance_min=endurance_min,
    )


def _check_spray(mission: Mission, work: SprayWork, vehicle: VehicleRecord) -> SprayWork:
    """The spray work fitted to the booked vehicle, checked before anything is planned.

    A tank smaller than the request assumed is filled more often: the plan is cut into
    sorties by the vehicle's own tank (the booking sized the slot for those refills).
    """
    if (work.tank_l is None) != (work.rate_l_ha is None):
        raise DispatchRefused(f"mission {mission.id}: give tank_l and rate_l_ha together")
    if work.tank_l is not None and work.tank_l > vehicle.tank_l:
        work = work.model_copy(update={"tank_l": vehicle.tank_l})
    spray_params(work)  # what the planner refuses, refused before the fields are read
    return work

"""Telemetry flowing back: a dispatched mission's take-off, completion or failure.

The fleet (wired by api/) turns vehicle events into :class:`~api.scheduling.model.
ProgressEvent` values — the first take-off of the mission's vehicle, the last sortie's
landing with the mission complete, a failsafe or a lost link — and calls
:func:`record_progress`.
"""

from sqlalchemy import Engine

from api.scheduling.errors import IllegalTransition, VersionConflict
from api.scheduling.missions import change_status, get_mission
from api.scheduling.model import FINAL, Mission, MissionStatus, ProgressEvent, ProgressKind
from api.scheduling.notify import Notifier

__all__ = ["record_progress"]

_ATTEMPTS = 5


_PROGRESS = {
    ProgressKind.TOOK_OFF: MissionStatus.FLYING,
    ProgressKind.COMPLETED: MissionStatus.COMPLETED,
    ProgressKind.FAILED: MissionStatus.FAILED,
}


def record_progress(
    engine: Engine, mission_id: int, event: ProgressEvent, *, notifier: Notifier | None = None
) -> Mission:
    """Move a dispatched mission along as telemetry reports it.

    ``took_off`` makes it flying, ``completed`` completed (through flying, if the take-off
    was missed), ``failed`` failed with the event's reason. Telemetry repeats itself and
    arrives late: an event that would not move the mission forward (another sortie's
    take-off, anything after the mission ended) changes nothing.

    Raises
    ------
    MissionNotFound
        No such mission.
    IllegalTransition
        Progress for a mission that was never dispatched.
    """
    target = _PROGRESS[event.kind]
    for _ in range(_ATTEMPTS):
        mission = get_mission(engine, mission_id)
        if mission.status in FINAL or mission.status is target:
            return mission
        if mission.status not in (MissionStatus.DISPATCHED, MissionStatus.FLYING):
            raise IllegalTransition(mission_id, mission.status.value, target.value)
        steps = [target]
        if target is MissionStatus.COMPLETED and mission.status is MissionStatus.DISPATCHED:
            steps = [MissionStatus.FLYING, target]
        try:
            for step in steps:
                mission = change_status(
                    engine,
                    mission_id,
                    step,
                    by=event.by,
                    now=event.at,
                    reason=event.reason if step is target else "",
                    notifier=notifier,
                    expected_version=mission.version,
                )
            return mission
        except VersionConflict:
            continue  # another event moved it meanwhile: look again
    return get_mission(engine, mission_id)

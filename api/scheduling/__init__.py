"""Mission scheduling: a farmer's request, an operator's approval, a vehicle and a slot
booked around the weather, the dispatch at the slot, and the flight's progress back.

::

    request_mission ─► approve ─► (scheduler tick) book ─► dispatch ─► record_progress
                                      ▲ weather holds │          ▲ DispatchPort (fleet)
                                      └───────────────┘          └ telemetry

Modules: :mod:`.model` (statuses, values), :mod:`.missions` (the lifecycle in the
database), :mod:`.booking` (pure slot choice), :mod:`.reserve` (booking, race-safe),
:mod:`.weather` (provider, recorded data, hold rules), :mod:`.notify` (the farmer's
notices), :mod:`.dispatch` (the fleet port), :mod:`.progress` (telemetry back to the
mission), :mod:`.cycle` (one tick), :mod:`.leader` and :mod:`.scheduler` (one leader runs
APScheduler). The tables are in :mod:`.tables`.
"""

import api.scheduling.tables  # noqa: F401  (registers the tables on the metadata)
from api.scheduling.booking import (
    Booking,
    BookingRules,
    NoSlot,
    NoSlotCause,
    Slot,
    VehicleNeed,
    WorkingHours,
    busy_steps,
    choose_slot,
    is_eligible,
    mission_duration_s,
    needs_of,
)
from api.scheduling.cycle import (
    SCHEDULER,
    CycleReport,
    SchedulingRules,
    run_cycle,
)
from api.scheduling.dispatch import (
    DispatchPort,
    RecordingDispatch,
)
from api.scheduling.errors import (
    IllegalTransition,
    InvalidRequest,
    LeaderLockError,
    MissionNotFound,
    NotificationNotFound,
    SchedulingError,
    SlotTaken,
    VersionConflict,
    WeatherDataError,
)
from api.scheduling.leader import (
    FileLeaderLock,
    LeaderLock,
    PostgresLeaderLock,
    advisory_key,
    leader_lock_for,
)
from api.scheduling.missions import (
    AfterChange,
    abort,
    approve,
    cancel,
    change_status,
    get_mission,
    history,
    list_missions,
    reject,
    request_mission,
)
from api.scheduling.model import (
    ACTIVE,
    FINAL,
    JST,
    TRANSITIONS,
    Mission,
    MissionKind,
    MissionRequest,
    MissionStatus,
    PlanEstimate,
    ProgressEvent,
    ProgressKind,
    StatusChange,
    check_transition,
    window_for_dates,
)
from api.scheduling.notify import (
    NOTIFIED,
    Notice,
    Notification,
    Notifier,
    RecordingNotifier,
    StoredNotifier,
    list_notifications,
    mark_read,
    notice_for,
    send,
)
from api.scheduling.progress import record_progress
from api.scheduling.reserve import (
    UNBOOKED,
    book_mission,
    bookings_of,
)
from api.scheduling.scheduler import (
    TICK_JOB_ID,
    MissionScheduler,
    SchedulerConfig,
    tick_job,
)
from api.scheduling.weather import (
    HOUR,
    SAMPLE_WEATHER,
    Block,
    Hold,
    HoldRules,
    RecordedWeather,
    WeatherHour,
    WeatherLimits,
    WeatherProvider,
    blocks_for,
    hold_reason,
    missing_blocks,
)

__all__ = [
    "ACTIVE",
    "FINAL",
    "HOUR",
    "JST",
    "NOTIFIED",
    "SAMPLE_WEATHER",
    "SCHEDULER",
    "TICK_JOB_ID",
    "TRANSITIONS",
    "UNBOOKED",
    "AfterChange",
    "Block",
    "Booking",
    "BookingRules",
    "CycleReport",
    "DispatchPort",
    "FileLeaderLock",
    "Hold",
    "HoldRules",
    "IllegalTransition",
    "InvalidRequest",
    "LeaderLock",
    "LeaderLockError",
    "Mission",
    "MissionKind",
    "MissionNotFound",
    "MissionRequest",
    "MissionScheduler",
    "MissionStatus",
    "NoSlot",
    "NoSlotCause",
    "Notice",
    "Notification",
    "NotificationNotFound",
    "Notifier",
    "PlanEstimate",
    "PostgresLeaderLock",
    "ProgressEvent",
    "ProgressKind",
    "RecordedWeather",
    "RecordingDispatch",
    "RecordingNotifier",
    "SchedulerConfig",
    "SchedulingError",
    "SchedulingRules",
    "Slot",
    "SlotTaken",
    "StatusChange",
    "StoredNotifier",
    "VehicleNeed",
    "VersionConflict",
    "WeatherDataError",
    "WeatherHour",
    "WeatherLimits",
    "WeatherProvider",
    "WorkingHours",
    "abort",
    "advisory_key",
    "approve",
    "blocks_for",
    "book_mission",
    "bookings_of",
    "busy_steps",
    "cancel",
    "change_status",
    "check_transition",
    "choose_slot",
    "get_mission",
    "history",
    "hold_reason",
    "is_eligible",
    "leader_lock_for",
    "list_missions",
    "list_notifications",
    "mark_read",
    "missing_blocks",
    "mission_duration_s",
    "needs_of",
    "notice_for",
    "record_progress",
    "reject",
    "request_mission",
    "run_cycle",
    "send",
    "tick_job",
    "window_for_dates",
]

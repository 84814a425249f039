"""The package's surface is pinned, and migration 0006 builds exactly the tables the code uses."""

import importlib

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import api.db
import api.scheduling
from api.scheduling.tables import JOB_TABLE

MODULES = ["booking", "cycle", "dispatch", "errors", "leader", "missions", "model", "notify",
           "progress", "reserve", "scheduler", "weather"]  # fmt: skip
TABLES = {"mission", "mission_status_change", "mission_booking", "notification", JOB_TABLE}


def test_the_surface_is_pinned() -> None:
    assert api.scheduling.__all__ == [
        "ACTIVE", "FINAL", "HOUR", "JST", "NOTIFIED", "SAMPLE_WEATHER", "SCHEDULER",
        "TICK_JOB_ID", "TRANSITIONS", "UNBOOKED", "AfterChange", "Block", "Booking",
        "BookingRules", "CycleReport", "DispatchPort", "FileLeaderLock", "Hold", "HoldRules",
        "IllegalTransition", "InvalidRequest", "LeaderLock", "LeaderLockError", "Mission",
        "MissionKind", "MissionNotFound", "MissionRequest", "MissionScheduler", "MissionStatus",
        "NoSlot", "NoSlotCause", "Notice", "Notification", "NotificationNotFound", "Notifier",
        "PlanEstimate", "PostgresLeaderLock", "ProgressEvent", "ProgressKind", "RecordedWeather",
        "RecordingDispatch", "RecordingNotifier", "SchedulerConfig", "SchedulingError",
        "SchedulingRules", "Slot", "SlotTaken", "StatusChange", "StoredNotifier", "VehicleNeed",
        "VersionConflict", "WeatherDataError", "WeatherHour", "WeatherLimits", "WeatherProvider",
        "WorkingHours", "abort", "advisory_key", "approve", "blocks_for", "book_mission",
        "bookings_of", "busy_steps", "cancel", "change_status", "check_transition", "choose_slot",
        "get_mission", "history", "hold_reason", "is_eligible", "leader_lock_for",
        "list_missions", "list_notifications", "mark_read", "missing_blocks",
        "mission_duration_s", "needs_of",
        "notice_for", "record_progress", "reject", "request_mission", "run_cycle", "send",
        "tick_job", "window_for_dates",
    ]  # fmt: skip


def test_the_package_reexports_every_modules_surface() -> None:
    for name in MODULES:
        module = importlib.import_module(f"api.scheduling.{name}")
        assert set(module.__all__) <= set(api.scheduling.__all__), name


def test_the_migration_builds_the_tables_as_declared(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    ours = [d for d in differences if any(f"'{t}'" in repr(d) for t in TABLES)]
    assert ours == []
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_the_migration_goes_down_and_up_again(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(api.db._MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    assert not TABLES & set(inspect(engine).get_table_names())
    api.db.migrate(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES

"""Scheduler ticks on a fake clock: booking, weather holds, dispatch, progress and the
farmer's notifications, end to end on SQLite and PostgreSQL."""

from datetime import datetime, timedelta

import pytest
from sqlalchemy import Engine, func
from sqlmodel import Session, select

from api.scheduling import (
    CycleReport,
    MissionStatus,
    NoSlotCause,
    ProgressEvent,
    ProgressKind,
    RecordedWeather,
    RecordingDispatch,
    SchedulingRules,
    StoredNotifier,
    WeatherHour,
    WeatherProvider,
    approve,
    get_mission,
    history,
    list_notifications,
    mark_read,
    record_progress,
    run_cycle,
)
from api.scheduling.errors import NotificationNotFound
from api.scheduling.tables import BookingRow
from core.clock import FakeClock
from core.errors import TanboError
from fleet.registry import VehicleRecord
from tests.scheduling.conftest import (
    FARMER,
    OPERATOR,
    SPRAYER,
    SPRAYER_2,
    NewMission,
    calm_weather,
    jst,
)

S = MissionStatus


class Ticker:
    """Runs ticks at the fake clock's time with one set of ports."""

    def __init__(self, engine: Engine, clock: FakeClock, weather: WeatherProvider) -> None:
        self.engine, self.clock, self.weather = engine, clock, weather
        self.dispatch = RecordingDispatch()
        self.notifier = StoredNotifier(engine, clock=clock)

    def at(self, when: datetime, weather: WeatherProvider | None = None) -> CycleReport:
        self.clock.advance((when - self.clock.now()).total_seconds())
        return run_cycle(self.engine, now=self.clock.now(), rules=SchedulingRules(),
                         weather=weather or self.weather, dispatch=self.dispatch,
                         notifier=self.notifier)  # fmt: skip


@pytest.fixture
def ticker(engine: Engine, clock: FakeClock, sample_weather: RecordedWeather) -> Ticker:
    return Ticker(engine, clock, sample_weather)


def approved(engine: Engine, new_mission: NewMission, ticker: Ticker, **changes: object) -> int:
    mission_id = new_mission(**changes)
    approve(engine, mission_id, by=OPERATOR, notifier=ticker.notifier)
    return mission_id


def bookings(engine: Engine) -> int:
    with Session(engine) as session:
        return session.exec(select(func.count()).select_from(BookingRow)).one()


def test_a_mission_is_booked_at_dawn_dispatched_once_and_its_progress_told(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    mission_id = approved(engine, new_mission, ticker)
    assert ticker.at(jst(1, 5)).scheduled == [mission_id]
    booked = get_mission(engine, mission_id)
    assert (booked.status, booked.vehicle) == (S.SCHEDULED, SPRAYER)
    assert (booked.slot_start, booked.slot_end, booked.busy_until) == (
        jst(1, 6), jst(1, 6, 35), jst(1, 6, 55),
    )  # fmt: skip
    assert bookings(engine) == 11  # 55 minutes of 5-minute steps
    assert ticker.at(jst(1, 5, 59)).dispatched == []
    assert ticker.at(jst(1, 6)).dispatched == [mission_id]
    assert ticker.at(jst(1, 6, 1)).dispatched == []
    assert [m.id for m in ticker.dispatch.dispatched] == [mission_id]
    record_progress(engine, mission_id, ProgressEvent(kind=ProgressKind.TOOK_OFF, at=jst(1, 6, 2)))
    done = ProgressEvent(kind=ProgressKind.COMPLETED, at=jst(1, 6, 33))
    assert record_progress(engine, mission_id, done, notifier=ticker.notifier).status is S.COMPLETED
    assert bookings(engine) == 0
    notes, _ = list_notifications(engine, FARMER)
    assert [n.kind for n in reversed(notes)] == ["approved", "scheduled", "dispatched", "completed"]
    scheduled = notes[2]
    assert scheduled.text_ja == (
        f"散布ミッション {mission_id}（圃場 kasai-001、kasai-002）の日程: "
        f"6月1日(月) 06:00〜06:35（機体 {SPRAYER}）。"
    )
    assert scheduled.text_en == (
        f"Your spray mission {mission_id} (fields kasai-001, kasai-002) is scheduled for "
        f"Mon 1 Jun 06:00–06:35 JST on {SPRAYER}."
    )
    assert "6月1日(月)〜6月3日(水)" in notes[3].text_ja  # the window the farmer asked for
    read = mark_read(engine, scheduled.id, recipient=FARMER, clock=ticker.clock)
    assert read.read_at == jst(1, 6, 1)
    assert list_notifications(engine, FARMER, unread_only=True)[1] == 3
    with pytest.raises(NotificationNotFound):
        mark_read(engine, scheduled.id, recipient="acct-someone-else")
    assert [c.by for c in history(engine, mission_id)] == [
        FARMER, OPERATOR, "scheduler", "scheduler", "telemetry", "telemetry",
    ]  # fmt: skip


def test_missions_share_the_fleet_earliest_deadline_first_and_never_a_vehicles_time(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    late = approved(engine, new_mission, ticker, window_end=jst(5, 0))
    first, second = (approved(engine, new_mission, ticker) for _ in range(2))
    survey = approved(engine, new_mission, ticker, kind="survey")
    report = ticker.at(jst(1, 5))
    assert report.scheduled == [first, second, survey, late]
    slots = {m: (get_mission(engine, m).vehicle, get_mission(engine, m).slot_start)
             for m in report.scheduled}  # fmt: skip
    assert slots == {
        first: (SPRAYER, jst(1, 6)), second: (SPRAYER_2, jst(1, 6)),
        survey: ("JU3A7K9M2P4X", jst(1, 6)),  # a camera drone: no sprayer needed
        late: (SPRAYER, jst(1, 6, 55)),  # after the first and its turnaround
    }  # fmt: skip


def test_a_windy_window_holds_the_mission_and_a_calmer_day_books_it(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    windy = approved(engine, new_mission, ticker, window_start=jst(5, 0), window_end=jst(6, 0))
    later = approved(engine, new_mission, ticker, window_start=jst(5, 0), window_end=jst(7, 0))
    report = ticker.at(jst(1, 5))
    assert (report.held, report.scheduled) == ([windy], [later])
    held = get_mission(engine, windy)
    assert held.reason == "wind 3.6 m/s at 06:00 on 5 Jun (JST), over the 3 m/s limit for spraying"
    assert get_mission(engine, later).slot_start == jst(6, 6)
    note = list_notifications(engine, FARMER)[0][1]
    assert note.kind == "held"
    assert "6月5日 06:00 の風速 3.6 m/s（散布の上限 3 m/s）" in note.text_ja
    again = ticker.at(jst(1, 5, 1))
    assert (again.held, again.scheduled) == ([], [])  # still held, not told twice
    assert list_notifications(engine, FARMER)[1] == 4  # two approvals, a hold, a slot


def test_a_forecast_turning_bad_holds_a_scheduled_mission_and_frees_its_vehicle(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    mission_id = approved(engine, new_mission, ticker)
    ticker.at(jst(1, 5), weather=calm_weather())
    assert get_mission(engine, mission_id).slot_start == jst(1, 6)
    gusty = calm_weather(WeatherHour(start=jst(1, 6), wind_m_s=2.5, gust_m_s=7.0))
    report = ticker.at(jst(1, 5, 1), weather=gusty)
    assert report.held == [mission_id]
    assert report.scheduled == [mission_id]  # held, then booked again after the gusts
    rebooked = get_mission(engine, mission_id)
    assert (rebooked.status, rebooked.slot_start) == (S.SCHEDULED, jst(1, 7))
    assert bookings(engine) == 11
    assert [c.to_status for c in history(engine, mission_id)][-3:] == [
        S.SCHEDULED,
        S.HELD,
        S.SCHEDULED,
    ]


def test_a_missed_slot_is_booked_again_and_a_closed_window_expires(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    mission_id = approved(engine, new_mission, ticker)
    ticker.at(jst(1, 5))
    never = new_mission(window_start=jst(1, 0), window_end=jst(1, 8))
    report = ticker.at(jst(1, 8))  # the scheduler was down at 06:00
    assert (report.missed, report.expired) == ([mission_id], [never])
    assert get_mission(engine, mission_id).slot_start == jst(1, 9)
    assert get_mission(engine, never).reason == "the window closed"
    short = approved(engine, new_mission, ticker, window_end=jst(3, 8))
    assert ticker.at(jst(3, 7, 30)).expired == [short]
    assert get_mission(engine, short).reason == "no time is left in the window"


def test_no_vehicle_keeps_the_mission_waiting(
    engine: Engine, new_mission: NewMission, ticker: Ticker
) -> None:
    mission_id = approved(engine, new_mission, ticker)
    assert ticker.at(jst(1, 5)).waiting == {mission_id: NoSlotCause.NO_VEHICLE}
    assert get_mission(engine, mission_id).status is S.APPROVED


def test_a_refused_dispatch_fails_the_mission_and_a_silent_one_times_out(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    refused, silent = (approved(engine, new_mission, ticker) for _ in range(2))
    ticker.at(jst(1, 5))
    ticker.dispatch.fail_with = TanboError("JU0123456789: pre-flight check failed: GPS")
    failed = ticker.at(jst(1, 6))
    assert sorted(failed.failed) == sorted([refused, silent])
    assert get_mission(engine, refused).reason == (
        "dispatch failed: JU0123456789: pre-flight check failed: GPS"
    )
    assert list_notifications(engine, FARMER)[0][0].kind == "failed"

    another = approved(engine, new_mission, ticker)
    ticker.dispatch.fail_with = None
    ticker.at(jst(1, 7))  # an hour's notice: 08:00
    assert ticker.at(jst(1, 8)).dispatched == [another]
    assert ticker.at(jst(1, 8, 30)).failed == []
    assert ticker.at(jst(1, 8, 31)).failed == [another]
    assert get_mission(engine, another).reason == "no take-off reported within 30 min of dispatch"


def test_a_failing_weather_port_keeps_the_slot_and_books_nothing_new(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker,
    caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    class Broken:
        def forecast(self, place: object, start: datetime, end: datetime) -> list[WeatherHour]:
            raise OSError("the forecast service is down")

    booked = approved(engine, new_mission, ticker)
    ticker.at(jst(1, 5))
    waiting = approved(engine, new_mission, ticker)
    report = ticker.at(jst(1, 5, 1), weather=Broken())
    assert (report.held, report.scheduled) == ([], [])
    assert get_mission(engine, booked).status is S.SCHEDULED
    assert get_mission(engine, waiting).status is S.APPROVED
    assert "the forecast service is down" in caplog.text


def test_hours_with_no_weather_data_hold_spraying(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    # The record stops at 08:00 on 1 June: the 2 June window is not booked on a guess.
    short = RecordedWeather([h for h in calm_weather().hours if h.start < jst(1, 8)])
    mission = approved(engine, new_mission, ticker, window_start=jst(2, 0), window_end=jst(3, 0))
    report = ticker.at(jst(1, 5), weather=short)
    assert mission not in report.scheduled
    held = get_mission(engine, mission)
    assert held.status is S.HELD
    assert "no weather data" in (held.reason or "")
    covered = ticker.at(jst(1, 5, 30))
    assert covered.scheduled == [mission]


def test_a_flight_nobody_flies_any_more_is_failed_after_its_slot(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, ticker: Ticker
) -> None:
    mission = approved(engine, new_mission, ticker)
    ticker.at(jst(1, 5))
    booked = get_mission(engine, mission)
    assert booked.slot_end is not None
    ticker.at(booked.slot_start or jst(1, 6))
    record_progress(
        engine, mission, ProgressEvent(kind=ProgressKind.TOOK_OFF, at=ticker.clock.now())
    )
    assert ticker.at(booked.slot_end).failed == []  # still within its slot: flying
    late = ticker.at(booked.slot_end + timedelta(hours=1))
    assert late.failed == [mission]
    assert "no word from the flight" in (get_mission(engine, mission).reason or "")

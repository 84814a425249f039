"""The scheduler: its job kept in the database, one leader among instances, one dispatch."""

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, text

from api.db import connect
from api.scheduling import (
    FileLeaderLock,
    LeaderLockError,
    MissionScheduler,
    MissionStatus,
    RecordingDispatch,
    SchedulerConfig,
    SchedulingRules,
    advisory_key,
    approve,
    get_mission,
    leader_lock_for,
    run_cycle,
)
from api.scheduling.tables import JOB_TABLE
from core.clock import FakeClock
from fleet.registry import VehicleRecord
from tests.scheduling.conftest import OPERATOR, NewMission, calm_weather, jst

FAST = {"tick_interval_s": 0.1, "standby_poll_s": 0.05}


def wait_for(condition: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def name() -> str:
    """A scheduler name of this test's own."""
    return f"test-{uuid.uuid4().hex[:8]}"


@pytest.fixture
def open_engine() -> Iterator[Callable[[str], Engine]]:
    """Open engines (as separate processes would have) that are disposed after the test."""
    opened: list[Engine] = []

    def open_(url: str) -> Engine:
        opened.append(connect(url))
        return opened[-1]

    yield open_
    for engine in opened:
        engine.dispose()


@pytest.fixture
def schedulers(
    clock: FakeClock, open_engine: Callable[[str], Engine]
) -> Iterator[Callable[..., MissionScheduler]]:
    """Make schedulers that are all stopped when the test ends (before engines are closed)."""
    made: list[MissionScheduler] = []

    def make(
        engine: Engine, name: str, *, dispatch: RecordingDispatch | None = None, **config: Any
    ) -> MissionScheduler:
        scheduler = MissionScheduler(
            engine, weather=calm_weather(), dispatch=dispatch or RecordingDispatch(),
            clock=clock, config=SchedulerConfig(name=name, **(FAST | config)),
        )  # fmt: skip
        made.append(scheduler)
        return scheduler

    yield make
    for scheduler in made:
        scheduler.stop()


def stored_job(engine: Engine) -> tuple[str, float] | None:
    with engine.connect() as connection:
        row = connection.execute(text(f"SELECT id, next_run_time FROM {JOB_TABLE}")).first()
    return None if row is None else (row[0], row[1])


def test_the_tick_job_is_kept_in_the_database_across_a_restart(
    engine: Engine, name: str, schedulers: Callable[..., MissionScheduler]
) -> None:
    first = schedulers(engine, name, tick_interval_s=3600.0)
    first.start()
    assert first.wait_leading(10)
    assert wait_for(lambda: first.ticks == 1)  # at once, then hourly
    first.stop()
    job = stored_job(engine)
    assert job is not None
    assert job[0] == "scheduling.tick"

    second = schedulers(engine, name, tick_interval_s=3600.0)
    second.start()
    assert second.wait_leading(10)
    next_tick = second.next_tick_at
    assert next_tick is not None
    assert next_tick.timestamp() == pytest.approx(job[1])  # loaded, not added afresh
    time.sleep(0.3)
    assert second.ticks == 0


def test_ticks_missed_while_no_one_led_run_once_when_the_next_leader_starts(
    engine: Engine, name: str, schedulers: Callable[..., MissionScheduler]
) -> None:
    first = schedulers(engine, name)
    first.start()
    assert wait_for(lambda: first.ticks >= 2)
    first.stop()
    time.sleep(0.5)  # five ticks' worth with no scheduler
    second = schedulers(engine, name, tick_interval_s=3600.0)  # and a new interval
    second.start()
    assert wait_for(lambda: second.ticks == 1)
    time.sleep(0.3)
    assert second.ticks == 1  # coalesced into one, then the new interval applies
    next_tick = second.next_tick_at
    assert next_tick is not None
    assert next_tick.timestamp() > time.time() + 3000


Make = Callable[..., MissionScheduler]
Open = Callable[[str], Engine]


@pytest.mark.postgres
def test_one_of_two_instances_leads_on_postgresql_and_the_other_takes_over(
    postgres_url: str, name: str, schedulers: Make, open_engine: Open
) -> None:
    a, b = (schedulers(open_engine(postgres_url), name) for _ in range(2))  # two processes
    a.start()
    assert a.wait_leading(10)
    b.start()
    time.sleep(0.4)  # eight polls on standby
    assert (a.leading, b.leading) == (True, False)
    assert a.ticks > 0
    assert b.ticks == 0
    a.stop()
    assert b.wait_leading(10)
    assert wait_for(lambda: b.ticks > 0)


@pytest.mark.postgres
def test_a_leader_whose_database_session_dies_steps_down_and_another_leads(
    postgres_url: str, name: str, schedulers: Make, open_engine: Open
) -> None:
    a, b = (schedulers(open_engine(postgres_url), name) for _ in range(2))
    a.start()
    assert a.wait_leading(10)
    b.start()
    with open_engine(postgres_url).connect() as admin:  # end the session that holds the lock
        ended = admin.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' "
                 "AND objid = CAST(:low AS oid) AND database = "
                 "(SELECT oid FROM pg_database WHERE datname = current_database())"),
            {"low": advisory_key(name) & 0xFFFFFFFF},
        ).scalars().all()  # fmt: skip
    assert ended == [True]
    assert wait_for(lambda: not a.leading or b.leading)  # a noticed, or b took over
    assert wait_for(lambda: a.leading != b.leading)  # and exactly one leads again


def test_a_file_lock_elects_one_scheduler_on_sqlite(
    sqlite_url: str, name: str, schedulers: Make, open_engine: Open, tmp_path: Path
) -> None:
    engine = open_engine(sqlite_url)
    a, b = schedulers(engine, name), schedulers(engine, name)
    a.start()
    assert a.wait_leading(10)
    b.start()
    time.sleep(0.3)
    assert (a.leading, b.leading) == (True, False)
    lock_file = Path(sqlite_url.removeprefix("sqlite:///") + f".{name}.scheduler.lock")
    assert lock_file.read_text().strip().isdigit()  # the leader's pid, for a person
    a.stop()
    assert b.wait_leading(10)
    one, two = FileLeaderLock(tmp_path / "x.lock"), FileLeaderLock(tmp_path / "x.lock")
    assert (one.try_acquire(), two.try_acquire()) == (True, False)
    one.release()
    assert two.try_acquire()
    two.release()


def test_an_in_memory_database_cannot_elect_a_scheduler() -> None:
    memory = create_engine("sqlite://")
    with pytest.raises(LeaderLockError, match="use a SQLite file or PostgreSQL"):
        leader_lock_for(memory, "tanbo")
    memory.dispose()


def scheduled_at_six(engine: Engine, new_mission: NewMission, clock: FakeClock) -> int:
    mission_id = new_mission()
    approve(engine, mission_id, by=OPERATOR)
    run_cycle(engine, now=clock.now(), rules=SchedulingRules(), weather=calm_weather(),
              dispatch=RecordingDispatch())  # fmt: skip
    assert get_mission(engine, mission_id).slot_start == jst(1, 6)
    return mission_id


def test_two_ticks_at_once_dispatch_a_mission_once(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, clock: FakeClock
) -> None:
    mission_id = scheduled_at_six(engine, new_mission, clock)
    clock.advance(3600)
    port = RecordingDispatch()
    barrier = threading.Barrier(2)

    def tick() -> None:
        barrier.wait()
        run_cycle(engine, now=clock.now(), rules=SchedulingRules(), weather=calm_weather(),
                  dispatch=port)  # fmt: skip

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [m.id for m in port.dispatched] == [mission_id]
    assert get_mission(engine, mission_id).status is MissionStatus.DISPATCHED


def test_a_new_leader_does_not_dispatch_again_what_the_last_one_did(
    engine: Engine, fleet: list[VehicleRecord], new_mission: NewMission, clock: FakeClock,
    name: str, schedulers: Make, open_engine: Open,
) -> None:  # fmt: skip
    first = scheduled_at_six(engine, new_mission, clock)
    second = new_mission()
    approve(engine, second, by=OPERATOR)
    port = RecordingDispatch()
    url = engine.url.render_as_string(hide_password=False)
    a, b = (schedulers(open_engine(url), name, dispatch=port) for _ in range(2))
    a.start()
    b.start()
    assert wait_for(lambda: get_mission(engine, second).status is MissionStatus.SCHEDULED)
    assert get_mission(engine, second).slot_start == jst(1, 6)  # on the other sprayer
    clock.advance(3600)  # 06:00
    assert wait_for(lambda: len(port.dispatched) == 2)
    leader, standby = (a, b) if a.leading else (b, a)
    ticks = leader.ticks
    assert wait_for(lambda: leader.ticks >= ticks + 3)
    leader.stop()
    assert standby.wait_leading(10)
    assert wait_for(lambda: standby.ticks >= 3)
    assert sorted(m.id for m in port.dispatched) == [first, second]

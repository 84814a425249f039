"""The scheduler: one leader among the API processes runs the tick on APScheduler.

Every process may start a :class:`MissionScheduler`. Its election thread tries the
leader lock (:mod:`~api.scheduling.leader`) every ``standby_poll_s``; the one that gets
it starts an APScheduler ``BackgroundScheduler`` whose jobs live in the database
(``scheduler_job``, an ``SQLAlchemyJobStore`` on the same engine). The others wait on
standby; when the leader stops or dies, the next to take the lock loads the same jobs
and carries on. APScheduler 3 cannot share a job store between running schedulers,
which is why only the leader runs one.

The tick job is stored by reference (``api.scheduling.scheduler:tick_job``) with the
scheduler's name as its argument; the process's leading instance of that name does the
work (:func:`~api.scheduling.cycle.run_cycle`) at its clock's time. The job's wall-clock
interval is configurable so tests tick fast while a fake clock jumps by hours.
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from api.scheduling.cycle import CycleReport, SchedulingRules, run_cycle
from api.scheduling.dispatch import DispatchPort
from api.scheduling.leader import LeaderLock, leader_lock_for
from api.scheduling.notify import Notifier
from api.scheduling.tables import JOB_TABLE
from api.scheduling.weather import WeatherProvider
from core.clock import Clock, SystemClock

__all__ = ["TICK_JOB_ID", "MissionScheduler", "SchedulerConfig", "tick_job"]

logger = logging.getLogger(__name__)

TICK_JOB_ID = "scheduling.tick"


@dataclass(frozen=True, kw_only=True, slots=True)
class SchedulerConfig:
    """How the scheduler runs (built from the settings by api/config)."""

    name: str = "tanbo"
    """Schedulers of one name elect one leader; the tick job carries the name."""
    tick_interval_s: float = 30.0
    """Wall-clock time between ticks: how late after its slot's start a mission may leave."""
    standby_poll_s: float = 5.0
    """How often a standby tries to take over, and the leader checks its lock, s."""
    rules: SchedulingRules = field(default_factory=SchedulingRules)

    def __post_init__(self) -> None:
        if self.tick_interval_s <= 0 or self.standby_poll_s <= 0:
            raise ValueError("tick_interval_s and standby_poll_s must be positive")


_LEADING: dict[str, "MissionScheduler"] = {}
_LEADING_LOCK = threading.Lock()


def tick_job(name: str) -> None:
    """What the stored job runs: a tick of this process's leading scheduler ``name``."""
    with _LEADING_LOCK:
        leader = _LEADING.get(name)
    if leader is None:
        logger.warning("tick of scheduler %r, which does not lead in this process", name)
        return
    leader.tick()


class MissionScheduler:
    """One process's scheduler: standby until it holds the leader lock, then the ticker."""

    def __init__(
        self,
        engine: Engine,
        *,
        weather: WeatherProvider,
        dispatch: DispatchPort,
        notifier: Notifier | None = None,
        clock: Clock | None = None,
        config: SchedulerConfig | None = None,
        lock: LeaderLock | None = None,
    ) -> None:
        self.engine = engine
        self.weather = weather
        self.dispatch = dispatch
        self.notifier = notifier
        self.clock = clock or SystemClock()
        self.config = config or SchedulerConfig()
        self.lock = lock or leader_lock_for(engine, self.config.name)
        self.last_report: CycleReport | None = None
        self.ticks = 0
        self._apscheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._leading = threading.Event()
        self._thread: threading.Thread | None = None
        self._tick_lock = threading.Lock()

    @property
    def leading(self) -> bool:
        """Whether this instance leads (runs the jobs) now."""
        return self._leading.is_set()

    def wait_leading(self, timeout_s: float) -> bool:
        """Wait until this instance leads; False if it does not within ``timeout_s``."""
        return self._leading.wait(timeout_s)

    def start(self) -> None:
        """Start the election thread: it leads as soon as it can take the lock."""
        if self._thread is not None:
            raise RuntimeError("this scheduler has been started already")
        self._thread = threading.Thread(
            target=self._elect, name=f"scheduler-{self.config.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop ticking and standing by; a leader finishes its tick and lets the lock go."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def tick(self) -> CycleReport:
        """Do what is due now (the job calls this; a command line may too)."""
        with self._tick_lock:
            report = run_cycle(
                self.engine, now=self.clock.now(), rules=self.config.rules,
                weather=self.weather, dispatch=self.dispatch, notifier=self.notifier,
            )  # fmt: skip
            self.last_report = report
            self.ticks += 1
            return report

    @property
    def next_tick_at(self) -> datetime | None:
        """When the stored tick job runs next (wall clock), while this instance leads."""
        scheduler = self._apscheduler
        job = scheduler.get_job(TICK_JOB_ID) if scheduler is not None else None
        return job.next_run_time if job is not None else None

    def _elect(self) -> None:
        while True:
            try:
                if self._apscheduler is None:
                    if self.lock.try_acquire():
                        self._lead()
                elif not self.lock.still_held():
                    logger.warning("scheduler %r lost its leader lock", self.config.name)
                    self._step_down()
            except Exception:  # the database away, a job store error: stand by and try again
                logger.exception("scheduler %r: election failed", self.config.name)
                self._step_down()
            if self._stop.wait(self.config.standby_poll_s):
                break
        self._step_down()

    def _lead(self) -> None:
        with _LEADING_LOCK:
            _LEADING[self.config.name] = self
        scheduler = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=self.engine, tablename=JOB_TABLE)},
            executors={"default": ThreadPoolExecutor(max_workers=1)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": None},
            timezone=UTC,
        )
        self._apscheduler = scheduler
        scheduler.start(paused=True)  # set the tick job up before anything runs
        trigger = IntervalTrigger(seconds=self.config.tick_interval_s, timezone=UTC)
        now = datetime.now(UTC)  # APScheduler's own time is the wall clock's
        job = scheduler.get_job(TICK_JOB_ID)
        if job is None:
            scheduler.add_job(tick_job, trigger, id=TICK_JOB_ID, args=[self.config.name],
                              next_run_time=now)  # fmt: skip
        elif (
            not isinstance(job.trigger, IntervalTrigger)
            or job.trigger.interval != trigger.interval
            or tuple(job.args) != (self.config.name,)
        ):
            # New settings: a tick that came due while no one led still runs at once.
            due = min(job.next_run_time or now, now + trigger.interval)
            scheduler.modify_job(TICK_JOB_ID, trigger=trigger, args=[self.config.name],
                                 next_run_time=due)  # fmt: skip
        scheduler.resume()
        logger.info("scheduler %r leads", self.config.name)
        self._leading.set()

    def _step_down(self) -> None:
        self._leading.clear()
        scheduler, self._apscheduler = self._apscheduler, None
        with _LEADING_LOCK:
            if _LEADING.get(self.config.name) is self:
                del _LEADING[self.config.name]
        if scheduler is not None and scheduler.running:
            try:
                scheduler.shutdown(wait=True)
            except Exception:  # a job store that cannot be reached: the lock goes anyway
                logger.exception("scheduler %r: shutdown failed", self.config.name)
        self.lock.release()

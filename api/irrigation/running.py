"""Paddy water as a running service (``tanbo irrigation run``): readings in, control ticks,
gates commanded, farmers told.

With ``mqtt_url`` set, an :class:`~irrigation.mqtt.MqttIngestor` stores the sensors' readings
(acknowledged to the broker once stored) and the gates are commanded over MQTT; without it
(the embedded default) readings arrive over HTTP (``POST /readings``) and the gates are the
in-process ones. APScheduler's asyncio scheduler runs the control tick every
``irrigation_tick_s`` and the farmer's morning note (today's stage and target, yesterday's
water) at 05:00 Japan time; one process leads (the same leader lock as the mission scheduler,
under its own name), so two services never command the same gate.
"""

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy import Engine

from api.config import Settings
from api.irrigation.daily import morning_notes
from api.irrigation.ingest import DatabaseSink
from api.irrigation.outlook import DatabaseOutlook
from api.irrigation.service import DatabaseControlStore, NotifierAlerts
from api.scheduling.leader import LeaderLock, leader_lock_for
from api.scheduling.notify import StoredNotifier
from api.scheduling.weather import RecordedWeather
from core.clock import Clock, SystemClock
from core.geo import GeoPoint
from irrigation import JST, Alert
from irrigation.gates_mqtt import InProcessGates, MqttGates
from irrigation.mqtt import MqttIngestor
from irrigation.runner import AlertSink, GateSender, IrrigationRunner, TickReport

__all__ = ["FanOutAlerts", "PaddyWaterService", "WebhookAlerts"]

logger = logging.getLogger(__name__)

TICK_JOB_ID = "irrigation.tick"
MORNING_JOB_ID = "irrigation.morning"


class WebhookAlerts:
    """Alerts posted as JSON to a webhook (the city app, a LINE bridge)."""

    def __init__(self, url: str, *, timeout_s: float = 5.0) -> None:
        self._url = url
        self._client = httpx.Client(timeout=timeout_s)

    def alert(self, owner: str, alert: Alert) -> None:
        """Post one alert; a failure is logged (the farmer's notification is kept anyway)."""
        body = {
            "owner": owner,
            "paddy_id": alert.paddy_id,
            "kind": alert.kind.value,
            "severity": alert.severity.value,
            "at": alert.at.isoformat(),
            "text_ja": alert.text_ja,
            "text_en": alert.text_en,
            "details": alert.details,
        }
        try:
            self._client.post(self._url, json=body).raise_for_status()
        except httpx.HTTPError as exc:
            logger.warning("paddy alert webhook %s failed: %s", self._url, exc)

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()


class FanOutAlerts:
    """Every alert to every sink."""

    def __init__(self, sinks: Sequence[AlertSink]) -> None:
        self._sinks = tuple(sinks)

    def alert(self, owner: str, alert: Alert) -> None:
        """Hand the alert to each sink; one failing does not stop the others."""
        for sink in self._sinks:
            try:
                sink.alert(owner, alert)
            except Exception:
                logger.exception("alert sink %r failed", sink)


@dataclass(kw_only=True)
class PaddyWaterService:
    """Everything ``tanbo irrigation run`` runs, for one process."""

    engine: Engine
    settings: Settings
    clock: Clock = field(default_factory=SystemClock)
    on_tick: Callable[[TickReport], None] | None = None
    reports: list[TickReport] = field(default_factory=list)

    def outlook(self) -> DatabaseOutlook:
        """Declared warnings, and forecast rain from ``weather_file`` when one is set (the
        shipped sample is generated: it is never taken for a live forecast)."""
        file = self.settings.weather_file
        weather = RecordedWeather.read(file) if file is not None else None
        lat, lon = self.settings.weather_place
        return DatabaseOutlook(
            self.engine,
            weather,
            place=GeoPoint(lat_deg=lat, lon_deg=lon),
            heavy_rain_mm_24h=self.settings.heavy_rain_mm_24h,
        )

    def _alerts(self) -> tuple[AlertSink, list[Callable[[], None]]]:
        sinks: list[AlertSink] = [NotifierAlerts(StoredNotifier(self.engine, clock=self.clock))]
        closing: list[Callable[[], None]] = []
        if self.settings.irrigation_webhook_url:
            webhook = WebhookAlerts(self.settings.irrigation_webhook_url)
            sinks.append(webhook)
            closing.append(webhook.close)
        return FanOutAlerts(sinks), closing

    async def run(self, *, stop: asyncio.Event, ticks: int | None = None) -> None:
        """Serve until ``stop`` is set (or ``ticks`` ticks have run): lead, ingest, tick.

        Raises
        ------
        api.errors.ConfigError
            ``mqtt_url`` is not a broker URL.
        """
        mqtt = self.settings.mqtt_settings()
        lock = leader_lock_for(self.engine, "irrigation")
        while not lock.try_acquire():
            logger.info("another process leads paddy water; waiting")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), timeout=5.0)
            if stop.is_set():
                return
        alerts, closing = self._alerts()
        try:
            async with contextlib.AsyncExitStack() as stack:
                runner_box: list[IrrigationRunner] = []
                gates: GateSender
                if mqtt is not None:
                    sink = DatabaseSink(self.engine, clock=self.clock)
                    await stack.enter_async_context(
                        MqttIngestor(mqtt, sink, on_error=_log_bad, clock=self.clock)
                    )
                    gates = await stack.enter_async_context(
                        MqttGates(
                            mqtt,
                            on_ack=lambda ack: runner_box[0].heard(ack) if runner_box else None,
                            on_error=_log_bad,
                            clock=self.clock,
                        )
                    )
                else:
                    # No broker: no real gate hears anything. The in-process gates stand in
                    # (a demo, a dry run); their acknowledgements are no gate's.
                    logger.warning("no mqtt_url: gate commands go to in-process stand-ins")
                    gates = InProcessGates(clock=self.clock)
                runner = IrrigationRunner(
                    DatabaseControlStore(self.engine),
                    gates,
                    alerts=alerts,
                    weather=self.outlook(),
                    clock=self.clock,
                )
                runner_box.append(runner)
                await self._schedule(runner, alerts, lock, stop=stop, ticks=ticks)
                await runner.drain()
        finally:
            for close in closing:
                close()
            lock.release()

    async def _schedule(
        self,
        runner: IrrigationRunner,
        alerts: AlertSink,
        lock: LeaderLock,
        *,
        stop: asyncio.Event,
        ticks: int | None,
    ) -> None:
        done = asyncio.Event()
        lost = asyncio.Event()

        async def tick() -> None:
            if not lock.still_held():
                # Another process leads now: two must never command the same gates.
                logger.error("paddy water lost its leader lock; stopping")
                lost.set()
                return
            report = await runner.tick()
            self.reports.append(report)
            if self.on_tick is not None:
                self.on_tick(report)
            if report.failed:
                logger.error("paddies not steered this tick: %s", "; ".join(report.failed))
            if ticks is not None and len(self.reports) >= ticks:
                done.set()

        scheduler = AsyncIOScheduler(timezone="UTC")
        job: dict[str, Any] = {"max_instances": 1, "coalesce": True, "misfire_grace_time": None}
        scheduler.add_job(
            tick,
            "interval",
            seconds=self.settings.irrigation_tick_s,
            id=TICK_JOB_ID,
            next_run_time=datetime.now(UTC),  # the first tick at once, on the wall clock
            **job,
        )

        def send_notes(notes: Sequence[tuple[str, Alert]]) -> None:
            for owner, note in notes:
                alerts.alert(owner, note)

        async def morning() -> None:
            # Off the event loop, as the tick's alerts are: a slow webhook must not starve
            # the broker's sessions.
            notes = await asyncio.to_thread(morning_notes, self.engine, self.clock.now())
            await asyncio.to_thread(send_notes, notes)

        scheduler.add_job(
            morning,
            "cron",
            hour=5,
            minute=0,
            timezone=JST,
            id=MORNING_JOB_ID,
            **job,
        )
        scheduler.start()
        try:
            waits = {
                asyncio.ensure_future(stop.wait()),
                asyncio.ensure_future(done.wait()),
                asyncio.ensure_future(lost.wait()),
            }
            _, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
            for task in pending:
                task.cancel()
        finally:
            scheduler.shutdown(wait=False)


def _log_bad(line: str) -> None:
    logger.warning("%s", line)

"""What an API process runs besides answering requests: the scheduler, the fleet
dispatcher that flies its missions, the delivery fleet that dispatches and flies the
pharmacies' deliveries, and the currency ledger that bills them.

Every process starts a scheduler; one leads (see :mod:`api.scheduling.leader`), the
others stand by. Shut down in order: stop ticking, then bring the vehicles home.
"""

import logging
import threading
from dataclasses import dataclass, field
from datetime import timedelta

from api.billing import Billing, BillingNotifier, sweep
from api.city_platform.scheduled import CityPublisher
from api.currency import (
    Ledger,
    PlatformClient,
    PlatformConfig,
    PricingConfig,
    WebhookVerifier,
)
from api.deps import Services
from api.fleet_dispatch import FleetDispatch
from api.fleet_watch import FleetWatch, vehicle_work
from api.link_pool import LinkPool
from api.logistics.flying import DeliveryFleet, FleetOptions
from api.logistics.progress import escalate_overdue
from api.logistics.service import DeliveryService
from api.scheduling import (
    SAMPLE_WEATHER,
    MissionScheduler,
    RecordedWeather,
    SchedulerConfig,
    StoredNotifier,
)

__all__ = ["Background", "ledger_for", "webhook_verifier_for"]

_log = logging.getLogger("tanbo.background")


def ledger_for(services: Services) -> Ledger | None:
    """The currency ledger, if a platform is configured."""
    settings = services.settings
    if not settings.currency_url or not settings.currency_api_key:
        return None
    platform = PlatformClient(
        PlatformConfig(base_url=settings.currency_url, api_key=settings.currency_api_key)
    )
    services.closing.append(platform.close)
    return Ledger(services.engine, platform, clock=services.clock)


def webhook_verifier_for(services: Services) -> WebhookVerifier | None:
    """The verifier of the platform's webhooks, if secrets are configured."""
    secrets = services.settings.currency_webhook_secrets
    if not secrets:
        return None
    # No in-memory replay guard: the ledger records every applied event id in the database,
    # so a redelivery (or a replay inside the time window) is answered 2xx and changes
    # nothing, in any process.
    return WebhookVerifier(list(secrets), clock=services.clock)


@dataclass
class Background:
    """The scheduler and the fleet of one API process."""

    services: Services
    scheduler: MissionScheduler | None = None
    fleet: FleetDispatch | None = None
    billing: Billing | None = field(default=None)
    deliveries: DeliveryFleet | None = None
    watch: FleetWatch | None = None
    city: CityPublisher | None = None
    links: LinkPool = field(default_factory=LinkPool)
    _stopping: threading.Event = field(default_factory=threading.Event)
    _helpers: list[threading.Thread] = field(default_factory=list)
    """The escalation and currency rounds: joined at stop, so none is still using the
    database when the process closes it."""

    def start(self) -> None:
        """Start dispatching and scheduling; settle what a previous run left pending."""
        s = self.services
        ledger = s.extras.get("ledger")
        if ledger is not None:
            self.billing = Billing(
                ledger=ledger,
                pricing=PricingConfig(spraying_yen_per_ha=s.settings.spraying_yen_per_ha),
                baseline_l_ha=s.settings.pesticide_baseline_l_ha,
            )
        notifier = BillingNotifier(StoredNotifier(s.engine, clock=s.clock), s.engine, self.billing)
        self.fleet = FleetDispatch(
            s.engine, s.settings, clock=s.clock, pilot_name=s.settings.pilot_name,
            notifier=notifier, links=self.links,
        )  # fmt: skip
        s.extras["dispatch"] = self.fleet
        s.extras["links"] = self.links
        weather = RecordedWeather.read(s.settings.weather_file or SAMPLE_WEATHER)
        self.scheduler = MissionScheduler(
            s.engine,
            weather=weather,
            dispatch=self.fleet,
            notifier=notifier,
            clock=s.clock,
            config=SchedulerConfig(tick_interval_s=s.settings.scheduler_tick_s),
        )
        self.scheduler.start()
        service: DeliveryService | None = s.extras.get("deliveries")
        if service is not None:
            scheduler = self.scheduler
            self.deliveries = DeliveryFleet(
                service, pilot=s.settings.pilot_name,
                csv_path=s.settings.data_dir / "flight-logs.csv",
                leading=lambda: scheduler.leading,
                options=FleetOptions(tick_s=min(s.settings.scheduler_tick_s, 2.0)),
                links=self.links,
            )  # fmt: skip
            s.extras["delivery_fleet"] = self.deliveries
            self.deliveries.start()
        if s.settings.fleet_watch:
            leader = self.scheduler
            self.watch = FleetWatch(s.engine, self.links, leading=lambda: leader.leading,
                                    work=vehicle_work(s.extras))  # fmt: skip
            s.extras["fleet_watch"] = self.watch
            self.watch.start()
        if s.settings.city_broker_url and s.settings.city_publish_every_min:
            publisher_leads = self.scheduler
            self.city = CityPublisher(s.engine, s.settings,
                                      leading=lambda: publisher_leads.leading)  # fmt: skip
            s.extras["city_publisher"] = self.city
            self.city.start()
        self._helpers.append(threading.Thread(
            target=self._escalate_every, args=(s.settings.scheduler_tick_s,),
            name="tanbo-deliveries", daemon=True,
        ))  # fmt: skip
        if ledger is not None:
            self._helpers.append(threading.Thread(
                target=self._settle_every, args=(s.settings.currency_reconcile_s,),
                name="tanbo-currency", daemon=True,
            ))  # fmt: skip
        for helper in self._helpers:
            helper.start()

    def settle_currency(self) -> None:
        """Finish charges a crash left pending and reconcile the last two days with the
        platform (the leader does it; every step is idempotent, so a second does no harm)."""
        ledger: Ledger | None = self.services.extras.get("ledger")
        if ledger is None:
            return
        try:
            ledger.resume_pending(min_age_s=60.0)
            if self.billing is not None:
                sweep(self.services.engine, self.billing)
            report = ledger.reconcile(self.services.clock.now() - timedelta(days=2))
        except Exception as exc:  # the platform may be down now: the next round retries
            _log.warning("currency not reconciled: %s", exc)
            return
        for discrepancy in report.discrepancies:
            _log.warning("currency: %s", discrepancy)

    def _settle_every(self, period_s: float) -> None:
        # First soon after start (what a previous run left), then every period.
        wait_s = 5.0
        while not self._stopping.wait(wait_s):
            wait_s = period_s
            if self.scheduler is not None and self.scheduler.leading:
                self.settle_currency()

    def escalate_deliveries(self) -> int:
        """Tell the pharmacy of each released delivery its recipient has not confirmed in
        time (once each); how many."""
        service: DeliveryService | None = self.services.extras.get("deliveries")
        if service is None:
            return 0
        overdue = escalate_overdue(service)
        for delivery in overdue:
            service.tell(delivery, "escalated")
        return len(overdue)

    def _escalate_every(self, period_s: float) -> None:
        while not self._stopping.wait(period_s):
            if self.scheduler is None or self.scheduler.leading:
                try:
                    self.escalate_deliveries()
                except Exception:  # the database may be away now: the next round retries
                    _log.exception("deliveries not escalated")

    def stop(self) -> None:
        """Stop ticking first, then bring every vehicle home and keep the logs."""
        self._stopping.set()
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.deliveries is not None:
            self.deliveries.close()
        if self.fleet is not None:
            self.fleet.close()
        if self.watch is not None:
            self.watch.close()
        if self.city is not None:
            self.city.close()
        self.links.close()
        for helper in self._helpers:
            helper.join(30.0)
            if helper.is_alive():
                _log.error("%s: still running at shutdown", helper.name)

"""Charging for finished work in the city currency, and points for using less pesticide.

A mission that completes is charged to its farmer once: the charge's idempotency key is
the mission's, and the ledger records it as pending before the platform is asked, so a
repeated notice, a retry or a restart never charges twice, and a platform that does not
answer leaves a pending entry that :meth:`api.currency.Ledger.resume_pending` finishes.
"""

import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from api.currency import (
    CurrencyError,
    Ledger,
    LedgerEntry,
    PricingConfig,
    points_for_reduction,
    quote_spraying,
)
from api.scheduling import (
    MissionKind,
    MissionStatus,
    Notice,
    Notifier,
    get_mission,
    list_missions,
)

__all__ = ["Billing", "BillingNotifier", "charge_key", "sweep"]

_log = logging.getLogger("tanbo.billing")


@dataclass(frozen=True, kw_only=True)
class Billing:
    """What is charged and granted for a completed mission."""

    ledger: Ledger
    pricing: PricingConfig = field(default_factory=PricingConfig)
    baseline_l_ha: float | None = None
    """The usual pesticide dose (L/ha) a lower one earns points against; None: no points."""

    def settle(self, engine: Engine, mission_id: int) -> list[LedgerEntry]:
        """Charge a completed spray mission (and grant its points), once whatever the calls.

        Raises
        ------
        api.currency.CurrencyError
            The platform refused or cannot be reached (the entry stays for a retry).
        """
        mission = get_mission(engine, mission_id)
        if mission.status is not MissionStatus.COMPLETED or mission.kind is not MissionKind.SPRAY:
            return []
        area_ha = mission.estimate.area_ha
        quote = quote_spraying(area_ha, self.pricing)
        entries = [
            self.ledger.charge(
                account=mission.owner,
                amount_yen=quote.amount_yen,
                idempotency_key=charge_key(mission.id),
                reference=f"mission:{mission.id}",
                description=quote.description,
            )
        ]
        rate = mission.params.get("rate_l_ha")
        if self.baseline_l_ha is not None and isinstance(rate, int | float):
            points = points_for_reduction(
                area_ha=area_ha,
                baseline_l_ha=self.baseline_l_ha,
                applied_l_ha=float(rate),
                config=self.pricing,
            )
            if points > 0:
                entries.append(
                    self.ledger.grant_points(
                        account=mission.owner,
                        points=points,
                        idempotency_key=f"tanbo-mission-{mission.id}-points",
                        reference=f"mission:{mission.id}",
                        description=f"減農薬 {rate:g} L/ha (基準 {self.baseline_l_ha:g} L/ha)",
                    )
                )
        return entries


def charge_key(mission_id: int) -> str:
    """The idempotency key of a mission's charge: one charge per mission, ever."""
    return f"tanbo-mission-{mission_id}-charge"


def sweep(engine: Engine, billing: Billing, *, limit: int = 500) -> list[int]:
    """Charge the completed spray missions that have no charge yet (the process died
    between the landing and the charge, or the platform was down); the missions charged.

    Raises
    ------
    api.currency.CurrencyError
        The platform refused or cannot be reached; the rest wait for the next sweep.
    """
    done, _ = list_missions(engine, status=MissionStatus.COMPLETED, limit=limit)
    charged = []
    for mission in done:
        if (
            mission.kind is MissionKind.SPRAY
            and billing.ledger.by_key(charge_key(mission.id)) is None
        ):
            billing.settle(engine, mission.id)
            charged.append(mission.id)
    return charged


class BillingNotifier:
    """Passes notices on, and settles a mission's bill when it is told it completed."""

    def __init__(self, inner: Notifier, engine: Engine, billing: Billing | None) -> None:
        self._inner = inner
        self._engine = engine
        self._billing = billing

    def notify(self, notice: Notice) -> None:
        """On ``completed``, charge first (a refusal is logged, the sweep retries), then
        deliver the notice."""
        if self._billing is not None and notice.kind == "completed" and notice.mission_id:
            try:
                self._billing.settle(self._engine, notice.mission_id)
            except CurrencyError as exc:
                _log.warning("mission %s: not charged yet: %s", notice.mission_id, exc)
        self._inner.notify(notice)

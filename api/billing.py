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
from api.scheduling import MissionKind, MissionStatus, Notice, Notifier, get_mission

__all__ = ["Billing", "BillingNotifier"]

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
                idempotency_key=f"tanbo-mission-{mission.id}-charge",
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


class BillingNotifier:
    """Passes notices on, and settles a mission's bill when it is told it completed."""

    def __init__(self, inner: Notifier, engine: Engine, billing: Billing | None) -> None:
        self._inner = inner
        self._engine = engine
        self._billing = billing

    def notify(self, notice: Notice) -> None:
        """Deliver the notice; on ``completed``, charge (a refusal is logged, kept pending)."""
        self._inner.notify(notice)
        if self._billing is None or notice.kind != "completed" or notice.mission_id is None:
            return
        try:
            self._billing.settle(self._engine, notice.mission_id)
        except CurrencyError as exc:
            _log.warning("mission %s: not charged yet: %s", notice.mission_id, exc)

"""The delivery service: requests in, dispatch, confirmation, cancellation and the fee.

Pure decisions come from :mod:`logistics` (feasibility, dispatch, the lifecycle); this
module reads and writes them through :mod:`api.logistics.store`, charges through the
city-currency ledger, and tells people through a notifier. What the vehicle reports
moves a delivery on in :mod:`api.logistics.progress`.

The fee is quoted when the delivery is accepted (base + per km of the planned route,
:func:`api.currency.quote_delivery`) and charged, refunded and rewarded with points as
:mod:`api.logistics.fees` says.
"""

import hashlib
import hmac
import logging
import secrets
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from functools import partial

from sqlalchemy import Engine

from api import fleet_store
from api.accounts import get_account
from api.currency import Ledger, PricingConfig, quote_delivery
from api.errors import Conflict, Forbidden, NotFound
from api.logistics import store
from api.logistics.fees import charge, fee_key, grant_points, refund
from api.logistics.notices import delivery_notice
from api.logistics.records import StoredDelivery, trip_record
from api.logistics.weather import DELIVERY_WEATHER, weather_holds
from api.registry import list_zones
from api.scheduling import JST
from api.scheduling.notify import Notifier, send
from api.scheduling.weather import WeatherLimits, WeatherProvider
from core.clock import Clock
from fields import local_crs_for
from logistics.dispatch import dispatch
from logistics.errors import BadRequest, LogisticsError
from logistics.feasibility import Places, options_for
from logistics.lifecycle import TERMINAL, Delivery, DeliveryState, step
from logistics.model import DeliveryRequest, DeliveryVehicle, Payer
from logistics.schedule import DispatchPlan, DispatchRules, Hold, Trip, VehicleState

__all__ = [
    "CODE_DIGITS",
    "MAX_CODE_ATTEMPTS",
    "DeliveryService",
    "Dispatched",
    "Unserviceable",
    "code_hash",
]

_log = logging.getLogger("tanbo.logistics")
S = DeliveryState
CODE_DIGITS = 6
"""Digits of the one-time code a recipient confirms with."""
MAX_CODE_ATTEMPTS = 5
"""Wrong codes a delivery takes before its code is refused (10⁶ codes: a guesser's odds
stay at 5 in a million)."""
_BUSY = frozenset({S.LOADING, S.IN_FLIGHT, S.ARRIVED, S.RELEASED, S.CONFIRMED})
_TURNAROUND_HORIZON = timedelta(hours=6)
"""A vehicle that landed longer ago than this has long been turned round."""
"""States whose trip still holds its vehicle (until it has landed and turned round)."""


class Unserviceable(BadRequest):
    """No vehicle can carry the request: its reason says why, per vehicle."""


def code_hash(code: str) -> str:
    """What is kept of a one-time code."""
    return hashlib.sha256(code.encode()).hexdigest()


@dataclass(frozen=True, kw_only=True, slots=True)
class Dispatched:
    """What a dispatch run did: the plan, and the one-time codes of newly scheduled
    deliveries (delivery id → code), for the recipients' notices only; never stored."""

    plan: DispatchPlan
    codes: dict[str, str]


@dataclass(kw_only=True)
class DeliveryService:
    """Deliveries over one database, one clock, one ledger."""

    engine: Engine
    clock: Clock
    ledger: Ledger | None = None
    pricing: PricingConfig = field(default_factory=PricingConfig)
    rules: DispatchRules = field(default_factory=DispatchRules)
    confirm_within: timedelta = timedelta(minutes=30)
    """After the release, how long the recipient has to confirm before it is escalated."""
    notifier: Notifier | None = None
    """Where recipients' and pharmacies' notices go (the one-time codes among them)."""
    points_per_delivery: int = 0
    """ねっぴ〜Pay points granted to the resident who confirms receipt (0: none)."""
    weather: WeatherProvider | None = None
    """Forecasts at the depots: an hour over :attr:`weather_limits` is a hold dispatch flies
    round; None: no holds (a demo, a test)."""
    weather_limits: WeatherLimits = field(default_factory=lambda: DELIVERY_WEATHER)
    turn_round: Callable[[str], bool] | None = None
    """Turns round at once the drone carrying a delivery, when it flies from this process
    (set by :class:`api.logistics.flying.DeliveryFleet`); other processes act on the
    stored recall."""
    grounded: dict[str, str] = field(default_factory=dict)
    """Vehicles this process cannot reach now (registration → why): dispatch plans
    without them (:class:`api.logistics.flying.DeliveryFleet` keeps it)."""
    _dispatching: threading.Lock = field(default_factory=threading.Lock, repr=False)
    """One dispatch at a time in this process (vehicles landing together re-plan in turn; a
    dispatch in another process finds what it read changed and leaves it, not merged)."""

    # -- what dispatch sees ---------------------------------------------------------

    def places(self) -> Places:
        """Depots, drop points and the zone register, in the metric CRS of the first depot."""
        depots = store.list_depots(self.engine)
        drops = store.list_drop_points(self.engine)
        if not depots:
            raise BadRequest("no depot is registered: deliveries need one")
        anchor = depots[0].location
        return Places(
            depots={d.id: d for d in depots},
            drop_points={d.drop.id: d.drop for d in drops},
            zones=list_zones(self.engine),
            crs=local_crs_for(anchor.lon_deg, anchor.lat_deg),
        )

    def vehicles(self) -> list[DeliveryVehicle]:
        """The stationed vehicles that are not retired, payload from the register."""
        registered = {v.registration: v for v in fleet_store.list_vehicles(self.engine)}
        payloads = {k: v.max_payload_kg for k, v in registered.items()}
        stationed = store.list_delivery_vehicles(self.engine, payloads_kg=payloads)
        return [v for v in stationed if v.id in registered]

    # -- a request comes in ---------------------------------------------------------

    def request(
        self, request: DeliveryRequest, *, idempotency_key: str | None
    ) -> tuple[StoredDelivery, bool]:
        """Take a request: stored as requested, accepted at once when some vehicle can carry
        it, and its fee charged. The same pharmacy and key again return the same delivery.

        Raises
        ------
        Unserviceable
            No vehicle can carry it (nothing is stored).
        NotFound
            The drop point is not registered.
        Conflict
            The key was used for a different request.
        """
        if idempotency_key is not None:  # a retry answers what it made, whatever changed since
            found = store.delivery_by_key(self.engine, request.pharmacy_id, idempotency_key)
            if found is not None:
                return store.same_or_conflict(found, request, idempotency_key), False
        store.get_drop_point(self.engine, request.drop_point_id)
        self._check_request(request)
        options, reasons = options_for([request], self.vehicles(), self.places(), self.rules)
        if request.id in reasons:
            raise Unserviceable(f"delivery to {request.drop_point_id}: {reasons[request.id]}")
        now = self.clock.now()
        lifecycle = Delivery.new(request.id, at=now, by=f"pharmacy:{request.pharmacy_id}")
        stored, created = store.create_delivery(
            self.engine, request, lifecycle, idempotency_key=idempotency_key
        )
        if not created:
            return stored, False
        route_m = min(o.route_m for o in options[request.id])
        fee = quote_delivery(route_m, self.pricing).amount_yen
        carriers = ", ".join(o.vehicle_id for o in options[request.id])

        def accept(d: StoredDelivery) -> StoredDelivery:
            moved = step(d.lifecycle, S.ACCEPTED, at=now, by="dispatcher",
                         note=f"can be carried by {carriers}")  # fmt: skip
            return replace(d, lifecycle=moved, fee_yen=fee, charge_key=fee_key(d.id))

        accepted = store.change(self.engine, request.id, accept)
        if request.payer is Payer.RESIDENT:
            return accepted, True  # charged when the resident confirms, signed in
        return charge(self.engine, self.ledger, self.clock, accepted), True

    def _check_request(self, request: DeliveryRequest) -> None:
        resident = request.recipient.resident_id
        if resident is not None:
            try:
                get_account(self.engine, resident)
            except NotFound as exc:
                raise BadRequest(
                    f"recipient {resident} is not known to the city identity: give the "
                    "resident's account, or a name and a phone number"
                ) from exc
        if request.window is not None and request.window.latest <= self.clock.now():
            latest = request.window.latest.astimezone(JST).isoformat(timespec="minutes")
            raise BadRequest(f"the delivery window has passed (it ended {latest})")

    # -- dispatch --------------------------------------------------------------------

    def dispatch(self, *, search_s: float | None = None) -> Dispatched:
        """Plan the accepted and scheduled deliveries (see :meth:`_dispatch`), one run at a
        time."""
        with self._dispatching:
            return self._dispatch(search_s=search_s)

    def _dispatch(self, *, search_s: float | None) -> Dispatched:
        """Plan the accepted and scheduled deliveries over the stationed vehicles.

        Deliveries already loading or flying keep their trips; their vehicles are free
        once those trips are over. A delivery scheduled before but left out now goes back
        to accepted, saying why.
        """
        now = self.clock.now()
        waiting, _ = store.list_deliveries(
            self.engine, states=[S.ACCEPTED, S.SCHEDULED], limit=10_000
        )
        busy, _ = store.list_deliveries(self.engine, states=sorted(_BUSY), limit=10_000)
        back, _ = store.list_deliveries(  # only the landings a turnaround may still run from
            self.engine, states=[S.VEHICLE_RETURNED], landed_since=now - _TURNAROUND_HORIZON,
            limit=10_000,
        )  # fmt: skip
        busy += back
        vehicles = [v for v in self.vehicles() if v.id not in self.grounded]
        ready = {v.id: now for v in vehicles}
        for d in busy:
            if d.trip is None or d.trip.vehicle_id not in ready:
                continue
            landed = d.lifecycle.landed_at
            if landed is not None and not now - _TURNAROUND_HORIZON <= landed <= now:
                continue  # long turned round (or a clock that was reset: a demo run again)
            # In the air: free once back and turned round, as planned; landed: the battery
            # swap or charge runs from the real landing, however late it was.
            turnaround = d.trip.ready_at - d.trip.landed_at
            free = d.trip.ready_at if landed is None else landed + turnaround
            ready[d.trip.vehicle_id] = max(ready[d.trip.vehicle_id], free)
        fleet = [VehicleState(vehicle=v, ready_at=ready[v.id]) for v in vehicles]
        places = self.places()
        holds = self.holds(places, now)
        plan = dispatch([d.request for d in waiting], fleet, places, now=now, holds=holds,
                        rules=self.rules, search_s=search_s)  # fmt: skip
        codes: dict[str, str] = {}
        for trip in plan.trips:
            code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
            before = next(d for d in waiting if d.id == trip.request_id)
            try:
                after = store.change(self.engine, trip.request_id,
                                     partial(_schedule, trip, code, now, before))  # fmt: skip
            except (LogisticsError, Conflict) as exc:  # moved on meanwhile: the plan is stale
                _log.info("delivery %s not scheduled: %s", trip.request_id, exc)
                continue
            if after.code_hash != before.code_hash:
                codes[trip.request_id] = code
                self.tell(after, "scheduled", code=code)
        for left in plan.unassigned:
            before = next(d for d in waiting if d.id == left.request_id)
            if before.state is S.SCHEDULED:
                self.back_to_dispatch(left.request_id, from_states={S.SCHEDULED},
                                      by="dispatcher", note=left.reason)  # fmt: skip
        return Dispatched(plan=plan, codes=codes)

    def back_to_dispatch(
        self, delivery_id: str, *, from_states: set[DeliveryState], by: str, note: str
    ) -> StoredDelivery:
        """Put a delivery back among those waiting to be dispatched (accepted, its trip
        gone), if it is still in one of ``from_states``; as it is otherwise (taken up by its
        vehicle, cancelled, … meanwhile)."""
        now = self.clock.now()

        def back(d: StoredDelivery) -> StoredDelivery:
            if d.state not in from_states:
                return d
            moved = step(d.lifecycle, S.ACCEPTED, at=now, by=by, note=note)
            return replace(d, lifecycle=moved, trip=None)

        return store.change(self.engine, delivery_id, back)

    def holds(self, places: Places, now: datetime) -> list[Hold]:
        """The weather holds at the depots within the planning horizon."""
        if self.weather is None:
            return []
        end = now + timedelta(seconds=self.rules.horizon_s)
        return weather_holds(self.weather, self.weather_limits, places, now, end)

    # -- people act ------------------------------------------------------------------

    def confirm(
        self, delivery_id: str, *, code: str | None = None, resident_id: str | None = None
    ) -> StoredDelivery:
        """The recipient confirms receipt, by the one-time code or as the resident the
        delivery is for (signed in through the city identity). A resident-paid delivery is
        confirmed only by the resident, signed in, and charged then.

        Raises
        ------
        Forbidden
            A wrong code (counted: after :data:`MAX_CODE_ATTEMPTS` the code is refused),
            or a resident who is not the recipient.
        IllegalTransition
            The parcel is not released yet (or is confirmed already).
        """
        now = self.clock.now()
        delivery = store.get_delivery(self.engine, delivery_id)
        request = delivery.request
        if resident_id is not None and resident_id == request.recipient.resident_id:
            by = f"resident:{resident_id}"
        elif request.payer is Payer.RESIDENT:
            raise Forbidden(
                f"delivery {delivery_id} is paid by its resident: confirm signed in as them"
            )
        elif code is None or delivery.code_hash is None:
            raise Forbidden(f"delivery {delivery_id}: not the recipient's code or account")
        elif delivery.code_attempts >= MAX_CODE_ATTEMPTS:
            raise Forbidden(
                f"delivery {delivery_id}: too many wrong codes; the resident confirms signed "
                "in, or the pharmacy settles it"
            )
        elif not hmac.compare_digest(code_hash(code), delivery.code_hash):
            store.change(
                self.engine, delivery_id, lambda d: replace(d, code_attempts=d.code_attempts + 1)
            )
            raise Forbidden(f"delivery {delivery_id}: not the recipient's code")
        else:
            by = "recipient:code"
        done = store.change(
            self.engine,
            delivery_id,
            lambda d: replace(d, lifecycle=step(d.lifecycle, S.CONFIRMED, at=now, by=by)),
        )
        if request.payer is Payer.RESIDENT:
            done = charge(self.engine, self.ledger, self.clock, done)
        grant_points(self.ledger, done, self.points_per_delivery)
        self.tell(done, "confirmed")
        return done

    def tell(self, delivery: StoredDelivery, kind: str, *, code: str = "") -> None:
        """Send the notice of ``kind`` about a delivery (a failing notifier is logged)."""
        if self.notifier is None:
            return
        drop = store.get_drop_point(self.engine, delivery.request.drop_point_id).drop
        minutes = round(self.confirm_within.total_seconds() / 60)
        notice = delivery_notice(delivery, kind, drop_name=drop.name, code=code, minutes=minutes)
        send(self.notifier, notice)

    def recall(self, delivery_id: str, *, by: str, reason: str = "") -> StoredDelivery:
        """Order the drone carrying a delivery home with the parcel (nobody to receive it,
        the spot blocked). Recorded here; the process flying it turns it round within about
        a second, and the delivery ends returned to the pharmacy (refunded) once it lands.
        Asked again, it changes nothing.

        Raises
        ------
        Conflict
            The parcel is not in the air (not yet taken off, or already released).
        """
        note = f"recalled by {by}" + (f": {reason}" if reason else "")

        def order(d: StoredDelivery) -> StoredDelivery:
            if d.state not in (S.IN_FLIGHT, S.ARRIVED):
                raise Conflict(f"delivery {d.id} is {d.state.value}: only a parcel in the air "
                               "can be recalled")  # fmt: skip
            return d if d.recall_note else replace(d, recall_note=note[:600])

        recalled = store.change(self.engine, delivery_id, order)
        if self.turn_round is not None:
            self.turn_round(delivery_id)
        return recalled

    def cancel(self, delivery_id: str, *, by: str, reason: str = "") -> StoredDelivery:
        """Cancel before the parcel leaves the ground; the fee is refunded.

        Raises
        ------
        IllegalTransition
            It is in the air or done.
        """
        now = self.clock.now()
        done = store.change(
            self.engine,
            delivery_id,
            lambda d: replace(
                d, lifecycle=step(d.lifecycle, S.CANCELLED, at=now, by=by, note=reason)
            ),
        )
        self.tell(done, "cancelled")
        return refund(self.engine, self.ledger, done)

    def settle_if_over(self, delivery: StoredDelivery) -> StoredDelivery:
        """Refund a delivery that ended without reaching its recipient."""
        unreached = {S.CANCELLED, S.FAILED, S.RETURNED_TO_PHARMACY}
        if delivery.state in unreached and delivery.state in TERMINAL:
            return refund(self.engine, self.ledger, delivery)
        return delivery

    def new_id(self) -> str:
        """An id for a new delivery."""
        return str(uuid.uuid4())


def _schedule(
    trip: Trip, code: str, now: datetime, planned: StoredDelivery, d: StoredDelivery
) -> StoredDelivery:
    """A delivery with its (new) trip; scheduled, with its code, the first time.

    Raises
    ------
    Conflict
        Its state or trip changed since dispatch read it as ``planned`` (another dispatch
        booked it, its vehicle took it up): this plan is stale for it, and nothing is stored.
    """
    if (d.state, d.trip) != (planned.state, planned.trip):
        raise Conflict(f"delivery {d.id} changed while it was being dispatched")
    record = trip_record(trip)
    if d.state is S.SCHEDULED:
        return replace(d, trip=record)
    takeoff = trip.takeoff_at.astimezone(JST).isoformat(timespec="minutes")
    note = f"{trip.vehicle_id}, take-off {takeoff}"
    moved = step(d.lifecycle, S.SCHEDULED, at=now, by="dispatcher", note=note)
    return replace(d, lifecycle=moved, trip=record, code_hash=code_hash(code))

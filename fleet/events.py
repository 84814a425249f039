"""What happens to vehicles, as events on an in-process bus.

Links publish from their reader threads; subscribers are called in the publishing
thread and must be quick (an API hands them to its event loop with
``loop.call_soon_threadsafe``). A subscriber that raises is logged and does not stop
the others or the link.

>>> bus = EventBus()
>>> seen = []
>>> unsubscribe = bus.subscribe(seen.append)
>>> bus.publish(VehicleEvent(kind=EventKind.ARMED, system_id=1, time_s=0.0))
>>> seen[0].kind
<EventKind.ARMED: 'armed'>
>>> unsubscribe()
>>> bus.publish(VehicleEvent(kind=EventKind.DISARMED, system_id=1, time_s=1.0))
>>> len(seen)
1
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["EventBus", "EventKind", "Subscriber", "VehicleEvent"]

logger = logging.getLogger(__name__)


class EventKind(StrEnum):
    """The kinds of vehicle events."""

    CONNECTED = "connected"
    LINK_LOST = "link_lost"
    LINK_RESTORED = "link_restored"
    ARMED = "armed"
    DISARMED = "disarmed"
    MODE_CHANGED = "mode_changed"
    LOW_BATTERY = "low_battery"
    ITEM_REACHED = "item_reached"
    MISSION_COMPLETE = "mission_complete"
    FAILSAFE = "failsafe"
    STATUS_TEXT = "status_text"


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleEvent:
    """One event of one vehicle.

    ``time_s`` is the link's monotonic clock; ``detail`` says what changed in words
    (the new mode, the item reached, the autopilot's text).
    """

    kind: EventKind
    system_id: int
    time_s: float
    detail: str = ""
    value: float | None = None


Subscriber = Callable[[VehicleEvent], None]


class EventBus:
    """Publish/subscribe for :class:`VehicleEvent`, safe across threads."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Lock()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Call ``subscriber`` with every event from now on; returns the unsubscribe."""
        with self._lock:
            self._subscribers.append(subscriber)

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def publish(self, event: VehicleEvent) -> None:
        """Hand ``event`` to every subscriber."""
        with self._lock:
            subscribers = list(self._subscribers)
        for subscriber in subscribers:
            try:
                subscriber(event)
            except Exception:
                logger.exception("event subscriber failed on %s", event)

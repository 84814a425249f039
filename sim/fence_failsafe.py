"""The geofence failsafe, as Copter's ``fence_check`` runs it on AC_Fence.

A new breach of an enabled fence (see :mod:`sim.fence`) while armed: "<fences>
breached" (unless on the ground), the sprayer off, then FENCE_ACTION: 0 reports only;
on the ground it disarms; more than 100 m out it lands; 1 (and 3, 5: SmartRTL is flown
as RTL) RTL, or LAND if RTL cannot be entered; 2 LAND; 4 BRAKE or LAND. "Fence breach
cleared" once back inside. The fence is checked while disarmed too, for SYS_STATUS,
FENCE_STATUS and the pre-arm check ("Vehicle breaching Polygon fence").
"""

from sim.failsafe_actions import Responder
from sim.fence import (
    GIVE_UP_DISTANCE_M,
    FenceGeometry,
    FenceMonitor,
    FenceSettings,
    FenceType,
    fence_names,
)
from sim.mission_items import MissionKind, StoredItem
from sim.mission_transfer import MissionStore
from sim.params import ParamTable
from sim.state import CopterMode, FailsafeKind, FenceStatus
from sim.wire import mavlink

__all__ = ["FenceFailsafe"]


class FenceFailsafe:
    """Checks the fence and answers breaches.

    Parameters
    ----------
    params
        FENCE_*, read at each check.
    store
        Where the uploaded fence is kept.
    respond
        How the vehicle is told what to do.
    """

    def __init__(self, params: ParamTable, store: MissionStore, respond: Responder) -> None:
        self._params = params
        self._store = store
        self._respond = respond
        self.monitor = FenceMonitor()
        self._items: list[StoredItem] = []
        self._geometry = FenceGeometry()

    def settings(self) -> FenceSettings:
        """The FENCE_* parameters as the fence monitor takes them."""
        p = self._params.get
        return FenceSettings(
            enabled=p("FENCE_ENABLE") == 1.0, types=FenceType(int(p("FENCE_TYPE")) & 7),
            alt_max_m=p("FENCE_ALT_MAX"), radius_m=p("FENCE_RADIUS"), margin_m=p("FENCE_MARGIN"),
        )  # fmt: skip

    def geometry(self) -> FenceGeometry:
        """The uploaded fence's zones (read again only when the fence list has changed)."""
        items = self._store.items(MissionKind.FENCE)
        if items != self._items:
            self._items = items
            self._geometry = FenceGeometry.from_items(items, self._respond.flight.frame)
        return self._geometry

    def check(self) -> None:
        """Check the EKF's position against the fence; answer a new breach if armed."""
        r = self._respond
        s = r.state
        settings, geometry = self.settings(), self.geometry()
        before = self.monitor.breaches
        new = self.monitor.check(r.flight.motion.here(), settings, geometry)
        breaches = self.monitor.breaches
        s.fence = FenceStatus(
            present=int(self.monitor.present(settings, geometry)),
            enabled=int(self.monitor.enabled(settings, geometry)),
            breaches=int(breaches),
            breach_count=s.fence.breach_count + bin(int(new)).count("1"),
            breach_time_s=s.time_s if new and not before else s.fence.breach_time_s,
        )
        if not s.armed:
            return
        if new:
            self._breached(new)
        elif before and not breaches:
            if not r.landed:
                r.text("Fence breach cleared", mavlink.MAV_SEVERITY_NOTICE)
            r.log(FailsafeKind.FENCE, "cleared")

    def _breached(self, new: FenceType) -> None:
        r = self._respond
        if not r.landed:
            r.text(f"{fence_names(new)} breached", mavlink.MAV_SEVERITY_NOTICE)
        r.stop_spraying()
        action = int(self._params.get("FENCE_ACTION"))
        if action == 0:
            r.log(FailsafeKind.FENCE, "none")
            return
        if r.landed:
            r.autopilot.disarm()
            r.log(FailsafeKind.FENCE, "disarm")
            return
        if self.monitor.breach_distance_m(new) > GIVE_UP_DISTANCE_M or action == 2:
            r.set_mode(CopterMode.LAND)
        elif action == 4:
            if not r.set_mode(CopterMode.BRAKE):
                r.set_mode(CopterMode.LAND)
        elif not r.set_mode(CopterMode.RTL):
            r.set_mode(CopterMode.LAND)
        r.log(FailsafeKind.FENCE, r.state.mode.name)

    def prearm_failure(self) -> str | None:
        """Why the fence stops arming (ArduPilot's words), or None."""
        settings, geometry = self.settings(), self.geometry()
        if settings.enabled and not self.monitor.present(settings, geometry):
            return "Fences enabled, but none selected"
        here = self._respond.flight.motion.here()
        breached = self.monitor.breached(here, settings, geometry)
        if breached:
            return f"Vehicle breaching {fence_names(breached)}"
        return None

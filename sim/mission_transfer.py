"""The MAVLink mission protocol for the mission, the fence and rally points, written once.

Upload: MISSION_COUNT, then the vehicle asks for each item in turn (MISSION_REQUEST
as ArduPilot 4.x does, or MISSION_REQUEST_INT), takes MISSION_ITEM_INT or MISSION_ITEM,
and ends with MISSION_ACK. An unanswered request is sent again every
``item_retry_s``; after ``upload_timeout_s`` without an item the upload is abandoned
with MISSION_ACK(OPERATION_CANCELLED). Errors as ArduPilot answers them: an item out
of order gets INVALID_SEQUENCE and the upload goes on; an item the list does not
take ends it (UNSUPPORTED, UNSUPPORTED_FRAME, INVALID_PARAM5_X/6_Y); a count beyond
capacity gets NO_SPACE; another system's upload or download meanwhile, DENIED.

The received items are staged and replace the stored list only once the last one
has arrived, so an abandoned or refused upload leaves the previous list whole.
(ArduPilot stages fences and rally points the same way, but writes mission items
as they arrive after truncating to the new count: a ground station must read a
mission back before believing it, whichever vehicle it talks to.)

Download: MISSION_REQUEST_LIST, MISSION_COUNT, then MISSION_REQUEST_INT (answered with
MISSION_ITEM_INT) or MISSION_REQUEST (answered with MISSION_ITEM) per item. Item 0
of the mission is always the vehicle's home, whatever was uploaded there.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from sim.config import MissionRequest, SimConfig
from sim.mission_items import MissionKind, StoredItem, check_fence, check_item
from sim.state import VehicleState
from sim.wire import Message, Send, mavlink

__all__ = ["MissionService", "MissionStore", "MissionTransfer"]

Clock = Callable[[], float]
"""Wall-clock seconds, monotonic."""


class MissionStore:
    """The three lists the vehicle keeps; the mission's item 0 is home and is not stored."""

    def __init__(self, state: VehicleState) -> None:
        self._state = state
        self._lists: dict[MissionKind, list[StoredItem]] = {kind: [] for kind in MissionKind}

    def count(self, kind: MissionKind) -> int:
        """Items in list ``kind`` as a download reports them (the mission counts home)."""
        stored = len(self._lists[kind])
        return stored + 1 if kind == MissionKind.MISSION else stored

    def item(self, kind: MissionKind, seq: int) -> StoredItem:
        """Item ``seq`` of list ``kind`` (for the mission, 0 is home); raises IndexError."""
        if not 0 <= seq < self.count(kind):
            raise IndexError(seq)
        if kind != MissionKind.MISSION:
            return self._lists[kind][seq]
        if seq == 0:
            return self._home_item()
        return self._lists[kind][seq - 1]

    def items(self, kind: MissionKind) -> list[StoredItem]:
        """Every item of list ``kind`` in order, home first for the mission."""
        return [self.item(kind, seq) for seq in range(self.count(kind))]

    def replace(self, kind: MissionKind, items: list[StoredItem]) -> None:
        """Store a whole uploaded list (for the mission, the uploaded item 0 is dropped)."""
        if kind == MissionKind.MISSION:
            items = items[1:]
            offset = 1
        else:
            offset = 0
        self._lists[kind] = [item.at(seq + offset) for seq, item in enumerate(items)]

    def clear(self, kind: MissionKind) -> None:
        """Empty list ``kind`` (the mission keeps home)."""
        self._lists[kind] = []

    def _home_item(self) -> StoredItem:
        home = self._state.home
        if home is None:
            return StoredItem(seq=0, frame=mavlink.MAV_FRAME_GLOBAL, command=16)
        return StoredItem(
            seq=0,
            frame=mavlink.MAV_FRAME_GLOBAL,
            command=mavlink.MAV_CMD_NAV_WAYPOINT,
            x=round(home.lat_deg * 1e7),
            y=round(home.lon_deg * 1e7),
            z=home.amsl_m,
        )


@dataclass(kw_only=True, slots=True)
class _Upload:
    sysid: int
    compid: int
    count: int
    next_seq: int = 0
    last_item_s: float = 0.0
    last_request_s: float = 0.0
    items: list[StoredItem] = field(default_factory=list)


class MissionTransfer:
    """Upload and download of one list (mission, fence or rally) for one vehicle."""

    def __init__(
        self, kind: MissionKind, store: MissionStore, send: Send, config: SimConfig, clock: Clock
    ) -> None:
        self.kind = kind
        self._store = store
        self._send = send
        self._config = config
        self._clock = clock
        self._upload: _Upload | None = None
        self.capacity: int = getattr(config.mission_capacity, kind.name.lower())

    @property
    def receiving(self) -> bool:
        """An upload is under way."""
        return self._upload is not None

    def _ack(self, msg: Message, result: int) -> None:
        self._send(
            mavlink.MAVLink_mission_ack_message(
                msg.get_srcSystem(), msg.get_srcComponent(), result, int(self.kind)
            )
        )

    def _request(self, upload: _Upload) -> None:
        cls = (
            mavlink.MAVLink_mission_request_int_message
            if self._config.mission_request == MissionRequest.INT
            else mavlink.MAVLink_mission_request_message
        )
        self._send(cls(upload.sysid, upload.compid, upload.next_seq, int(self.kind)))
        upload.last_request_s = self._clock()

    def count(self, msg: Message) -> None:
        """MISSION_COUNT: start (or, from the same sender, restart) an upload."""
        upload = self._upload
        if upload is not None and (upload.sysid, upload.compid) != _sender(msg):
            self._ack(msg, mavlink.MAV_MISSION_DENIED)
            return
        self._upload = None
        if msg.count > self.capacity:
            self._ack(msg, mavlink.MAV_MISSION_NO_SPACE)
            self._send(_text(f"Only {self.capacity} items are supported"))
            return
        if msg.count == 0:
            self._store.clear(self.kind)
            self._ack(msg, mavlink.MAV_MISSION_ACCEPTED)
            return
        now = self._clock()
        sysid, compid = _sender(msg)
        self._upload = _Upload(sysid=sysid, compid=compid, count=msg.count, last_item_s=now)
        self._request(self._upload)

    def item(self, msg: Message, stored: StoredItem) -> None:
        """MISSION_ITEM_INT or MISSION_ITEM (already converted to ``stored``)."""
        upload = self._upload
        if upload is None:
            self._ack(msg, mavlink.MAV_MISSION_ERROR)
            return
        if stored.seq != upload.next_seq:
            self._ack(msg, mavlink.MAV_MISSION_INVALID_SEQUENCE)
            return
        if (upload.sysid, upload.compid) != _sender(msg):
            self._ack(msg, mavlink.MAV_MISSION_DENIED)
            return
        result = check_item(self.kind, stored)
        if result != mavlink.MAV_MISSION_ACCEPTED:
            self._upload = None
            self._ack(msg, result)
            return
        upload.items.append(stored)
        upload.next_seq += 1
        upload.last_item_s = self._clock()
        if upload.next_seq < upload.count:
            self._request(upload)
            return
        self._upload = None
        if self.kind == MissionKind.FENCE and not check_fence(upload.items):
            self._ack(msg, mavlink.MAV_MISSION_ERROR)
            return
        self._store.replace(self.kind, upload.items)
        self._ack(msg, mavlink.MAV_MISSION_ACCEPTED)

    def request_list(self, msg: Message) -> None:
        """MISSION_REQUEST_LIST: answer with the list's MISSION_COUNT."""
        if self.receiving:
            self._ack(msg, mavlink.MAV_MISSION_DENIED)
            return
        sysid, compid = _sender(msg)
        self._send(
            mavlink.MAVLink_mission_count_message(
                sysid, compid, self._store.count(self.kind), int(self.kind)
            )
        )

    def request_item(self, msg: Message, *, legacy: bool) -> None:
        """MISSION_REQUEST_INT (or legacy MISSION_REQUEST): send item ``msg.seq``."""
        if self.receiving:
            self._ack(msg, mavlink.MAV_MISSION_DENIED)
            return
        try:
            stored = self._store.item(self.kind, msg.seq)
        except IndexError:
            self._ack(msg, mavlink.MAV_MISSION_INVALID_SEQUENCE)
            return
        sysid, compid = _sender(msg)
        self._send(stored.to_legacy(sysid, compid) if legacy else stored.to_int(sysid, compid))

    def clear_all(self, msg: Message) -> None:
        """MISSION_CLEAR_ALL: empty the list, refused (ERROR) during an upload."""
        if self.receiving:
            self._ack(msg, mavlink.MAV_MISSION_ERROR)
            return
        self._store.clear(self.kind)
        self._ack(msg, mavlink.MAV_MISSION_ACCEPTED)

    def tick(self) -> None:
        """Ask again for an item that has not come, or abandon a silent upload."""
        upload = self._upload
        if upload is None:
            return
        now = self._clock()
        if now - upload.last_item_s > self._config.upload_timeout_s:
            self._upload = None
            self._send(
                mavlink.MAVLink_mission_ack_message(
                    upload.sysid,
                    upload.compid,
                    mavlink.MAV_MISSION_OPERATION_CANCELLED,
                    int(self.kind),
                )
            )
        elif now - upload.last_request_s > self._config.item_retry_s:
            self._request(upload)


class MissionService:
    """Routes the mission protocol's messages to the transfer of their ``mission_type``."""

    def __init__(
        self, store: MissionStore, state: VehicleState, send: Send, config: SimConfig, clock: Clock
    ) -> None:
        self.store = store
        self._state = state
        self._send = send
        self.transfers = {
            kind: MissionTransfer(kind, store, send, config, clock) for kind in MissionKind
        }
        self.handlers: dict[str, Callable[[Message], None]] = {
            "MISSION_COUNT": lambda m: self._route(m).count(m),
            "MISSION_ITEM_INT": lambda m: self._route(m).item(m, StoredItem.from_int(m)),
            "MISSION_ITEM": lambda m: self._route(m).item(m, StoredItem.from_legacy(m)),
            "MISSION_REQUEST_LIST": lambda m: self._route(m).request_list(m),
            "MISSION_REQUEST_INT": lambda m: self._route(m).request_item(m, legacy=False),
            "MISSION_REQUEST": lambda m: self._route(m).request_item(m, legacy=True),
            "MISSION_CLEAR_ALL": lambda m: self._route(m).clear_all(m),
            "MISSION_SET_CURRENT": self.set_current,
        }

    def _route(self, msg: Message) -> MissionTransfer:
        try:
            kind = MissionKind(msg.mission_type)
        except ValueError:
            kind = MissionKind.MISSION  # MAV_MISSION_TYPE_ALL and unknowns: ArduPilot's default
        return self.transfers[kind]

    def set_current(self, msg: Message) -> None:
        """MISSION_SET_CURRENT: the item AUTO flies next, answered with MISSION_CURRENT."""
        total = self.store.count(MissionKind.MISSION)
        if not 0 <= msg.seq < total:
            self._send(_text(f"Mission item {msg.seq} does not exist ({total} items)"))
            return
        self._state.mission_seq = msg.seq
        self._send(mavlink.MAVLink_mission_current_message(msg.seq, total))

    def tick(self) -> None:
        """Retries and timeouts of every list's upload."""
        for transfer in self.transfers.values():
            transfer.tick()


def _sender(msg: Message) -> tuple[int, int]:
    return int(msg.get_srcSystem()), int(msg.get_srcComponent())


def _text(text: str) -> Message:
    return mavlink.MAVLink_statustext_message(mavlink.MAV_SEVERITY_WARNING, text.encode())

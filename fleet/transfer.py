"""Mission, fence and rally transfer: the MAVLink mission protocol, written once for all three.

Upload: MISSION_COUNT (with ``mission_type``); the vehicle asks for each item with
MISSION_REQUEST_INT, or MISSION_REQUEST as ArduPilot 4.x does, and is always answered
with MISSION_ITEM_INT; it ends with MISSION_ACK. Download: MISSION_REQUEST_LIST,
MISSION_COUNT, then MISSION_REQUEST_INT per item (answered with MISSION_ITEM_INT, or
MISSION_ITEM by an autopilot that prefers it) and a closing MISSION_ACK. Clear:
MISSION_CLEAR_ALL, MISSION_ACK.

Timing is QGroundControl's: every expected message is waited for 1.5 s, and on silence
the last thing sent goes again, up to 5 times (MISSION_COUNT before the first request,
the last item after it, the request during a download); then the transfer fails with
``result="TIMEOUT"`` saying what it waited for. A failed upload is cancelled with
MISSION_ACK(OPERATION_CANCELLED), as QGroundControl does, so the vehicle stops waiting.

Uploads are not atomic — ArduPilot writes mission items as they arrive — so nothing is
believed about a list until it has been read back: :meth:`MissionTransfer.believed` is
the list as last downloaded, forgotten by any upload or clear, and
:meth:`MissionTransfer.upload_verified` uploads, reads back and compares field by field.
Every refusal carries the vehicle's MAV_MISSION_RESULT and says what it means::

    vehicle 1 refused the mission upload of 8 items: MAV_MISSION_NO_SPACE — the list
    has more items than the vehicle can hold (it said: "Only 5 items are supported")
"""

import contextlib
import numbers
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from pymavlink.dialects.v20 import ardupilotmega as mavlink

from fleet.errors import LinkError, TransferFailed
from fleet.link import GCS_SYSTEM, Link, Message, Waiter
from fleet.validate import Autopilot, check_readback, command_name, rule_for, validate_upload
from mission_planner import MissionType

__all__ = [
    "RETRIES",
    "TIMEOUT_S",
    "MissionTransfer",
    "Progress",
    "Row",
    "TransferResult",
    "result_meaning",
    "result_name",
]

TIMEOUT_S = 1.5
"""Seconds to wait for each expected message (QGroundControl's)."""
RETRIES = 5
"""Times the last message is sent again before a transfer counts as timed out (QGC's)."""

Row = dict[str, int | float]
"""One item as MISSION_ITEM_INT fields (see :data:`fleet.validate.FIELDS`)."""
Progress = Callable[[int, int], None]
"""Called with (items done, items in all) as a transfer goes."""

_MEANINGS = {
    mavlink.MAV_MISSION_ACCEPTED: "accepted",
    mavlink.MAV_MISSION_ERROR: "the vehicle is not taking this list now (generic error)",
    mavlink.MAV_MISSION_UNSUPPORTED_FRAME: "the vehicle does not take the item's frame",
    mavlink.MAV_MISSION_UNSUPPORTED: "the vehicle does not support the item's command here",
    mavlink.MAV_MISSION_NO_SPACE: "the list has more items than the vehicle can hold",
    mavlink.MAV_MISSION_INVALID: "one of the item's parameters is invalid",
    mavlink.MAV_MISSION_INVALID_PARAM1: "the item's param1 is invalid",
    mavlink.MAV_MISSION_INVALID_PARAM2: "the item's param2 is invalid",
    mavlink.MAV_MISSION_INVALID_PARAM3: "the item's param3 is invalid",
    mavlink.MAV_MISSION_INVALID_PARAM4: "the item's param4 is invalid",
    mavlink.MAV_MISSION_INVALID_PARAM5_X: "the item's x (latitude) is invalid",
    mavlink.MAV_MISSION_INVALID_PARAM6_Y: "the item's y (longitude) is invalid",
    mavlink.MAV_MISSION_INVALID_PARAM7: "the item's z (altitude) is invalid",
    mavlink.MAV_MISSION_INVALID_SEQUENCE: "an item or request was out of sequence",
    mavlink.MAV_MISSION_DENIED: "the vehicle is busy with another transfer or refuses us",
    mavlink.MAV_MISSION_OPERATION_CANCELLED: "the vehicle gave up on the transfer",
}
_LIST = {MissionType.MISSION: "mission", MissionType.FENCE: "fence", MissionType.RALLY: "rally"}
_PROTOCOL = frozenset(
    {
        "MISSION_ACK", "MISSION_COUNT", "MISSION_ITEM", "MISSION_ITEM_INT", "MISSION_REQUEST",
        "MISSION_REQUEST_INT",
    }
)  # fmt: skip
_REQUESTS = ("MISSION_REQUEST", "MISSION_REQUEST_INT")
_ITEMS = ("MISSION_ITEM", "MISSION_ITEM_INT")
_GLOBAL = frozenset({0, 3, 5, 6, 10, 11})
_TEXT_GRACE_S = 0.1  # a refusal's STATUSTEXT may trail its MISSION_ACK

_VEHICLES: weakref.WeakKeyDictionary[Link, dict[tuple[int, int], "_Vehicle"]] = (
    weakref.WeakKeyDictionary()
)
_VEHICLES_GUARD = threading.Lock()


def result_name(result: int) -> str:
    """The MAV_MISSION_RESULT name of ``result``.

    >>> result_name(4)
    'MAV_MISSION_NO_SPACE'
    """
    entry = mavlink.enums["MAV_MISSION_RESULT"].get(result)
    return str(entry.name) if entry is not None else f"MAV_MISSION_RESULT {result}"


def result_meaning(result: int) -> str:
    """What a MAV_MISSION_RESULT means, in words.

    >>> result_meaning(13)
    'an item or request was out of sequence'
    """
    return _MEANINGS.get(result, "an error the MAVLink standard does not name")


@dataclass(frozen=True, kw_only=True, slots=True)
class TransferResult:
    """How a transfer went: ``count`` items, ``retries`` messages sent again, ``elapsed_s``."""

    operation: str
    mission_type: MissionType
    count: int
    retries: int
    elapsed_s: float


@dataclass(slots=True)
class _Vehicle:
    """What every transfer object for one vehicle on one link shares: one transfer at a
    time, and what is believed to be on board."""

    lock: threading.RLock
    believed: dict[MissionType, list[Row]]


def _vehicle(link: Link, system: int, component: int) -> _Vehicle:
    with _VEHICLES_GUARD:
        vehicles = _VEHICLES.setdefault(link, {})
        if (system, component) not in vehicles:
            vehicles[system, component] = _Vehicle(threading.RLock(), {})
        return vehicles[system, component]


class _Inbox:
    """A transfer's messages from the vehicle, with the STATUSTEXTs set aside."""

    def __init__(self, waiter: Waiter, clock: Callable[[], float]) -> None:
        self._waiter = waiter
        self._clock = clock
        self.texts: list[str] = []

    def next(self, deadline: float) -> Message | None:
        while (msg := self._waiter.get(deadline - self._clock())) is not None:
            if msg.get_type() != "STATUSTEXT":
                return msg
            if msg.severity <= mavlink.MAV_SEVERITY_WARNING:
                self.texts.append(str(msg.text))
        return None

    def said(self) -> str:
        """What the vehicle said about it, if anything (waiting briefly for a late text)."""
        deadline = self._clock() + _TEXT_GRACE_S
        while not self.texts and self.next(deadline) is not None:
            pass
        return f' (it said: "{self.texts[-1]}")' if self.texts else ""


@dataclass(slots=True)
class _Session:
    """One transfer under way: its list, its name, its inbox and what it has cost so far."""

    kind: MissionType
    operation: str
    inbox: _Inbox
    started: float
    retries: int = 0

    @property
    def list_name(self) -> str:
        return _LIST[self.kind]


class MissionTransfer:
    """Upload, download and clear of one vehicle's mission, fence and rally lists.

    Parameters
    ----------
    link
        The link the vehicle is heard on.
    target_system, target_component
        The vehicle's autopilot.
    autopilot
        Whose rules items are validated and read back against.
    timeout_s, retries
        Wait per expected message and resends before giving up (QGroundControl's
        1.5 s and 5 by default).
    clock
        Monotonic seconds.

    Transfers to one vehicle run one at a time, whichever object and thread start them,
    and every object for the vehicle shares what is believed to be on board.
    """

    def __init__(
        self,
        link: Link,
        target_system: int,
        target_component: int = 1,
        *,
        autopilot: Autopilot = "ardupilot",
        timeout_s: float = TIMEOUT_S,
        retries: int = RETRIES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if timeout_s <= 0 or retries < 0:
            raise ValueError(f"timeout_s {timeout_s} must be > 0 and retries {retries} >= 0")
        self.link = link
        self.target_system = target_system
        self.target_component = target_component
        self.autopilot: Autopilot = autopilot
        self.timeout_s = timeout_s
        self.retries = retries
        self._clock = clock
        vehicle = _vehicle(link, target_system, target_component)
        self._lock = vehicle.lock
        self._believed = vehicle.believed
        self.last_result: TransferResult | None = None
        """How the last transfer through this object went."""

    def believed(self, mission_type: MissionType | int = MissionType.MISSION) -> list[Row] | None:
        """The list as last read back from the vehicle, or None when that is unknown.

        Unknown until a download, and again after any upload or clear, finished or not:
        a list is believed only once read back.
        """
        with self._lock:
            rows = self._believed.get(MissionType(mission_type))
            return [dict(row) for row in rows] if rows is not None else None

    # -- the three operations -------------------------------------------------------------

    def upload(
        self,
        rows: Sequence[Mapping[str, object]],
        mission_type: MissionType | int = MissionType.MISSION,
        *,
        progress: Progress | None = None,
    ) -> TransferResult:
        """Validate ``rows`` and send them as list ``mission_type``.

        Raises
        ------
        InvalidUpload
            A row would be refused; nothing was sent (:func:`fleet.validate.validate_upload`).
        TransferFailed
            The vehicle refused the upload (``result`` its MAV_MISSION_RESULT name), acknowledged
            it before every item was sent (``"INCOMPLETE"``), or stopped answering
            (``"TIMEOUT"``, after which the upload is cancelled).
        LinkError
            The link is closed.
        """
        kind = MissionType(mission_type)
        validate_upload(rows, kind, autopilot=self.autopilot)
        items = [self._item_message(row) for row in rows]
        with self._lock:
            self._believed.pop(kind, None)
            self.last_result = self._upload(items, kind, progress)
            return self.last_result

    def download(
        self,
        mission_type: MissionType | int = MissionType.MISSION,
        *,
        progress: Progress | None = None,
    ) -> list[Row]:
        """Read list ``mission_type`` from the vehicle (for an ArduPilot mission, home first).

        Raises
        ------
        TransferFailed
            The vehicle refused (``result`` its MAV_MISSION_RESULT name) or stopped
            answering (``"TIMEOUT"``).
        LinkError
            The link is closed.
        """
        kind = MissionType(mission_type)
        with self._lock:
            self._believed.pop(kind, None)
            rows, self.last_result = self._download(kind, progress)
            self._believed[kind] = rows
            return [dict(row) for row in rows]

    def clear(self, mission_type: MissionType | int = MissionType.MISSION) -> TransferResult:
        """Empty list ``mission_type`` on the vehicle (an ArduPilot mission keeps home).

        Raises
        ------
        TransferFailed
            The vehicle refused (e.g. ArduPilot while flying the mission) or did not answer.
        LinkError
            The link is closed.
        """
        kind = MissionType(mission_type)
        clear_all = mavlink.MAVLink_mission_clear_all_message(*self._target, int(kind))
        with self._lock, self._session(kind, "clear") as session:
            self._believed.pop(kind, None)
            ack = self._exchange(
                session, clear_all, _is_ack, "its MISSION_ACK to MISSION_CLEAR_ALL"
            )
            if ack.type != mavlink.MAV_MISSION_ACCEPTED:
                raise self._refused(session, int(ack.type))
            self.last_result = self._result(session, 0)
            return self.last_result

    def upload_verified(
        self,
        rows: Sequence[Mapping[str, object]],
        mission_type: MissionType | int = MissionType.MISSION,
        *,
        progress: Progress | None = None,
    ) -> TransferResult:
        """Upload ``rows``, read the list back and compare it field by field.

        The comparison is :func:`fleet.validate.check_readback`: as the autopilot stores
        items (ArduPilot's home in item 0 of the mission, float32 and whole-second
        parameters, GLOBAL_RELATIVE_ALT for GLOBAL_RELATIVE_ALT_INT). Afterwards
        :meth:`believed` is what was read back, matching or not.

        Raises
        ------
        InvalidUpload, TransferFailed, LinkError
            As :meth:`upload` and :meth:`download`; ``TransferFailed`` with
            ``result="MISMATCH"`` when the vehicle holds something else, naming the item
            and field.
        """
        kind = MissionType(mission_type)
        with self._lock:
            up = self.upload(rows, kind, progress=progress)
            got, down = self._download(kind, None)
            self._believed[kind] = got
            try:
                check_readback(rows, got, kind, autopilot=self.autopilot)
            except TransferFailed as exc:
                raise TransferFailed(
                    f"vehicle {self.target_system}: the {_LIST[kind]} read back differs "
                    f"from the upload: {exc}",
                    result="MISMATCH",
                ) from exc
            self.last_result = TransferResult(
                operation="upload_verified",
                mission_type=kind,
                count=up.count,
                retries=up.retries + down.retries,
                elapsed_s=up.elapsed_s + down.elapsed_s,
            )
            return self.last_result

    # -- the protocol ---------------------------------------------------------------------

    @contextlib.contextmanager
    def _session(self, kind: MissionType, operation: str) -> Iterator[_Session]:
        """This vehicle's messages for list ``kind`` queued from now until the block ends."""
        with self.link.expect(self._matcher(kind)) as waiter:
            yield _Session(kind, operation, _Inbox(waiter, self._clock), self._clock())

    def _upload(
        self, items: list[Message], kind: MissionType, progress: Progress | None
    ) -> TransferResult:
        count = len(items)
        last: Message = mavlink.MAVLink_mission_count_message(*self._target, count, int(kind))
        last_seq: int | None = None  # which item ``last`` is, once items go
        sent: set[int] = set()
        attempts, ended = 1, False
        with self._session(kind, "upload") as session:
            try:
                self.link.send(last)
                deadline = self._clock() + self.timeout_s
                while True:
                    msg = session.inbox.next(deadline)
                    if msg is None:
                        if attempts > self.retries:
                            raise self._upload_timeout(session, items, last_seq, attempts)
                        self.link.send(last)
                        attempts, session.retries = attempts + 1, session.retries + 1
                        deadline = self._clock() + self.timeout_s
                    elif msg.get_type() == "MISSION_ACK":
                        if msg.type == mavlink.MAV_MISSION_INVALID_SEQUENCE:
                            continue  # an item resent after a lost request: it will ask again
                        ended = True
                        if msg.type != mavlink.MAV_MISSION_ACCEPTED:
                            at = items[last_seq] if last_seq is not None else None
                            raise self._refused(session, int(msg.type), at, count)
                        if len(sent) < count:
                            raise self._incomplete(session, len(sent), count)
                        return self._result(session, count)
                    elif msg.get_type() in _REQUESTS and 0 <= msg.seq < count:
                        seq = int(msg.seq)  # earlier and repeated requests are answered too
                        last, last_seq = items[seq], seq
                        self.link.send(last)
                        if seq not in sent:
                            sent.add(seq)
                            attempts = 1
                            if progress is not None:
                                progress(len(sent), count)
                        deadline = self._clock() + self.timeout_s
                    # Anything else (a request beyond the count, an item) is not this upload's.
            except BaseException:
                if not ended:
                    self._cancel(kind)
                raise

    def _download(
        self, kind: MissionType, progress: Progress | None
    ) -> tuple[list[Row], TransferResult]:
        with self._session(kind, "download") as session:
            request_list = mavlink.MAVLink_mission_request_list_message(*self._target, int(kind))
            count = int(self._exchange(session, request_list, _is_count, "MISSION_COUNT").count)
            rows: list[Row] = []
            for seq in range(count):
                request = mavlink.MAVLink_mission_request_int_message(*self._target, seq, int(kind))

                def is_item(msg: Message, seq: int = seq) -> bool:
                    return bool(msg.get_type() in _ITEMS and msg.seq == seq)

                item = self._exchange(session, request, is_item, f"item {seq} of {count}")
                rows.append(self._row(item, kind))
                if progress is not None:
                    progress(seq + 1, count)
            if count:
                accepted = mavlink.MAV_MISSION_ACCEPTED
                self.link.send(
                    mavlink.MAVLink_mission_ack_message(*self._target, accepted, int(kind))
                )
            return rows, self._result(session, count)

    def _exchange(
        self, session: _Session, request: Message, wanted: Callable[[Message], bool], what: str
    ) -> Message:
        """Send ``request`` until a wanted answer comes (sent again on each timeout)."""
        started = self._clock()
        self.link.send(request)
        attempts = 1
        deadline = self._clock() + self.timeout_s
        while True:
            msg = session.inbox.next(deadline)
            if msg is None:
                if attempts > self.retries:
                    raise TransferFailed(
                        f"vehicle {self.target_system} did not send {what} during the "
                        f"{session.list_name} {session.operation}: asked {attempts} times in "
                        f"{self._clock() - started:.1f} s",
                        result="TIMEOUT",
                    )
                self.link.send(request)
                attempts, session.retries = attempts + 1, session.retries + 1
                deadline = self._clock() + self.timeout_s
            elif wanted(msg):
                return msg
            elif msg.get_type() == "MISSION_ACK" and msg.type != mavlink.MAV_MISSION_ACCEPTED:
                raise self._refused(session, int(msg.type))

    # -- messages, rows and errors ----------------------------------------------------------

    def _matcher(self, kind: MissionType) -> Callable[[Message], bool]:
        """This vehicle's mission-protocol messages for list ``kind``, and its STATUSTEXTs."""

        def match(msg: Message) -> bool:
            if msg.get_srcSystem() != self.target_system:
                return False
            if msg.get_type() == "STATUSTEXT":
                return True
            return bool(
                msg.get_type() in _PROTOCOL
                and msg.get_srcComponent() == self.target_component
                and getattr(msg, "target_system", 0) in (0, GCS_SYSTEM)
                and getattr(msg, "mission_type", 0) == int(kind)
            )

        return match

    def _item_message(self, row: Mapping[str, object]) -> Message:
        def i(name: str) -> int:
            return int(_number(row, name))

        return mavlink.MAVLink_mission_item_int_message(
            self.target_system, self.target_component, i("seq"), i("frame"), i("command"),
            i("current"), i("autocontinue"), _number(row, "param1"), _number(row, "param2"),
            _number(row, "param3"), _number(row, "param4"), i("x"), i("y"), _number(row, "z"),
            i("mission_type"),
        )  # fmt: skip

    def _row(self, msg: Message, kind: MissionType) -> Row:
        x, y = msg.x, msg.y
        if msg.get_type() == "MISSION_ITEM":  # float degrees (float32: about 0.4 m)
            rule = rule_for(int(msg.command), kind, self.autopilot)
            position = rule.position if rule is not None else msg.frame in _GLOBAL
            scale = 1e7 if position else 1.0
            x, y = round(x * scale), round(y * scale)
        return {
            "seq": int(msg.seq), "frame": int(msg.frame), "command": int(msg.command),
            "current": int(msg.current), "autocontinue": int(msg.autocontinue),
            "param1": float(msg.param1), "param2": float(msg.param2),
            "param3": float(msg.param3), "param4": float(msg.param4),
            "x": int(x), "y": int(y), "z": float(msg.z), "mission_type": int(kind),
        }  # fmt: skip

    def _cancel(self, kind: MissionType) -> None:
        """Tell the vehicle to stop waiting for the rest of an upload (as QGC does)."""
        with contextlib.suppress(LinkError):
            cancelled = mavlink.MAV_MISSION_OPERATION_CANCELLED
            self.link.send(mavlink.MAVLink_mission_ack_message(*self._target, cancelled, int(kind)))

    @property
    def _target(self) -> tuple[int, int]:
        return self.target_system, self.target_component

    def _result(self, session: _Session, count: int) -> TransferResult:
        return TransferResult(
            operation=session.operation,
            mission_type=session.kind,
            count=count,
            retries=session.retries,
            elapsed_s=self._clock() - session.started,
        )

    def _refused(
        self, session: _Session, result: int, at: Message | None = None, count: int | None = None
    ) -> TransferFailed:
        name = result_name(result)
        where = f" of {count} items" if count is not None else ""
        if at is not None:
            where = f" at item {at.seq} ({command_name(int(at.command))})"
        return TransferFailed(
            f"vehicle {self.target_system} refused the {session.list_name} {session.operation}"
            f"{where}: {name} — {result_meaning(result)}{session.inbox.said()}",
            result=name,
        )

    def _incomplete(self, session: _Session, sent: int, count: int) -> TransferFailed:
        return TransferFailed(
            f"vehicle {self.target_system} acknowledged the {session.list_name} upload after "
            f"only {sent} of {count} items: it is not complete, and the list is unknown until "
            "read back",
            result="INCOMPLETE",
        )

    def _upload_timeout(
        self, session: _Session, items: list[Message], last_seq: int | None, attempts: int
    ) -> TransferFailed:
        name, count = session.list_name, len(items)
        took = f"{attempts} times in {self._clock() - session.started:.1f} s"
        if last_seq is None:
            what = (
                f"did not answer MISSION_COUNT ({count} {name} items) with a request for "
                f"item 0 (sent {took})"
            )
        else:
            item = f"item {last_seq} ({command_name(int(items[last_seq].command))})"
            what = f"stopped asking during the {name} upload: nothing after {item} of {count}"
            what += f" (sent {took})"
        return TransferFailed(
            f"vehicle {self.target_system} {what}; the upload was cancelled and the {name} "
            "list is unknown until read back",
            result="TIMEOUT",
        )


def _is_ack(msg: Message) -> bool:
    return bool(msg.get_type() == "MISSION_ACK")


def _is_count(msg: Message) -> bool:
    return bool(msg.get_type() == "MISSION_COUNT")


def _number(row: Mapping[str, object], name: str) -> float:
    value = row[name]
    if not isinstance(value, numbers.Real):
        raise TypeError(f"{name} = {value!r} is not a number")
    return float(value)

"""Telling the farmer: what a mission's change means, in Japanese and English, and where it goes.

:class:`Notifier` is the port; :class:`StoredNotifier` writes a ``notification`` row the
farmer lists (and marks read) through the API. A mail or LINE notifier would implement
the same port. Notices are sent after the change is committed: a notifier that fails is
logged and does not undo the change.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy import Engine, func, insert, update
from sqlmodel import Session, col, select

from api.scheduling.errors import NotificationNotFound
from api.scheduling.model import JST, Mission, MissionKind, MissionStatus
from api.scheduling.tables import NotificationRow, storage, utc
from api.scheduling.weather import Hold
from core.clock import Clock, SystemClock

__all__ = [
    "NOTIFIED",
    "Notice",
    "Notification",
    "Notifier",
    "RecordingNotifier",
    "StoredNotifier",
    "list_notifications",
    "mark_read",
    "notice_for",
    "send",
]

logger = logging.getLogger(__name__)

NOTIFIED = frozenset(MissionStatus) - {MissionStatus.REQUESTED, MissionStatus.FLYING}
"""The statuses a farmer is told about (not their own request, not each take-off)."""

_WEEKDAY_JA = "月火水木金土日"
_KIND_JA = {MissionKind.SPRAY: "散布", MissionKind.SURVEY: "空撮"}


@dataclass(frozen=True, kw_only=True, slots=True)
class Notice:
    """What to tell whom about which mission."""

    recipient: str
    mission_id: int | None
    kind: str
    """The status the mission reached (``scheduled``, ``held`` …)."""
    text_ja: str
    text_en: str
    reference: str | None = None
    """What else it is about, for notifiers that carry it (``delivery:<id>``)."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Notification:
    """A stored notice, as the farmer lists it."""

    id: int
    recipient: str
    mission_id: int | None
    kind: str
    text_ja: str
    text_en: str
    created_at: datetime
    read_at: datetime | None
    reference: str | None = None
    """What else it is about (``delivery:<id>``)."""


class Notifier(Protocol):
    """Where notices go."""

    def notify(self, notice: Notice) -> None:
        """Deliver one notice."""
        ...


def send(notifier: Notifier | None, notice: Notice | None) -> None:
    """Hand ``notice`` to ``notifier``; a notifier that fails is logged, never raised: the
    change it tells of is already committed."""
    if notifier is None or notice is None:
        return
    try:
        notifier.notify(notice)
    except Exception:  # a port's failure of any kind must not undo a committed change
        logger.exception(
            "notice about mission %s to %s was not delivered", notice.mission_id, notice.recipient
        )


def _day_ja(at: datetime) -> str:
    local = at.astimezone(JST)
    return f"{local.month}月{local.day}日({_WEEKDAY_JA[local.weekday()]})"


def _day_en(at: datetime) -> str:
    local = at.astimezone(JST)
    return f"{local:%a} {local.day} {local:%b}"


def _what_en(m: Mission) -> str:
    fields = ", ".join(m.field_ids)
    return f"{m.kind.value} mission {m.id} (fields {fields})"


def _what_ja(m: Mission) -> str:
    fields = "、".join(m.field_ids)
    return f"{_KIND_JA[m.kind]}ミッション {m.id}（圃場 {fields}）"


def _slot_en(m: Mission) -> str:
    if m.slot_start is None or m.slot_end is None:
        return "a time still to be set"
    start, end = m.slot_start.astimezone(JST), m.slot_end.astimezone(JST)
    return f"{_day_en(start)} {start:%H:%M}–{end:%H:%M} JST on {m.vehicle}"


def _slot_ja(m: Mission) -> str:
    if m.slot_start is None or m.slot_end is None:
        return "未定"
    start, end = m.slot_start.astimezone(JST), m.slot_end.astimezone(JST)
    return f"{_day_ja(start)} {start:%H:%M}〜{end:%H:%M}（機体 {m.vehicle}）"


def _texts(m: Mission, hold: Hold | None) -> tuple[str, str] | None:
    """The notice's Japanese and English text for the status ``m`` reached."""
    why_en = f": {m.reason}" if m.reason else ""
    why_ja = f"（理由: {m.reason}）" if m.reason else ""
    ja, en = _what_ja(m), f"Your {_what_en(m)}"
    match m.status:
        case MissionStatus.APPROVED:
            last = m.window_end - timedelta(microseconds=1)  # the window ends at a midnight
            window_ja = f"{_day_ja(m.window_start)}〜{_day_ja(last)}"
            window_en = f"between {_day_en(m.window_start)} and {_day_en(last)}"
            return (
                f"{ja}が承認されました。{window_ja}の間で日程を組みます。",
                f"{en} was approved; it will be scheduled {window_en}.",
            )
        case MissionStatus.REJECTED:
            return f"{ja}は承認されませんでした{why_ja}。", f"{en} was not approved{why_en}."
        case MissionStatus.SCHEDULED:
            return f"{ja}の日程: {_slot_ja(m)}。", f"{en} is scheduled for {_slot_en(m)}."
        case MissionStatus.HELD:
            return (
                f"{ja}は天候のため保留中です（{hold.text_ja() if hold else m.reason}）。"
                "天候が回復しだい日程を組み直します。",
                f"{en} is on hold for the weather ({hold.text_en() if hold else m.reason}); "
                "it will be scheduled again when it clears.",
            )
        case MissionStatus.DISPATCHED:
            return (
                f"{ja}の飛行を開始します（機体 {m.vehicle}）。",
                f"{en} is starting on {m.vehicle}.",
            )
        case MissionStatus.COMPLETED:
            return f"{ja}が完了しました。", f"{en} is completed."
        case MissionStatus.FAILED:
            return (
                f"{ja}は完了できませんでした{why_ja}。",
                f"{en} could not be completed{why_en}.",
            )
        case MissionStatus.ABORTED:
            return f"{ja}は中止されました{why_ja}。", f"{en} was stopped{why_en}."
        case MissionStatus.CANCELLED:
            return f"{ja}は取り消されました{why_ja}。", f"{en} was cancelled{why_en}."
        case MissionStatus.EXPIRED:
            return (
                f"{ja}は希望期間内に実施できませんでした{why_ja}。",
                f"{en} could not be flown in the days you asked for{why_en}.",
            )
    return None


def notice_for(mission: Mission, *, hold: Hold | None = None) -> Notice | None:
    """What the farmer is told now that ``mission`` reached its status (None: nothing).

    ``hold`` gives a weather hold's reason in both languages (else ``mission.reason``).
    """
    if mission.status not in NOTIFIED:
        return None
    texts = _texts(mission, hold)
    if texts is None:
        return None
    ja, en = texts
    return Notice(
        recipient=mission.owner,
        mission_id=mission.id,
        kind=mission.status.value,
        text_ja=ja,
        text_en=en,
    )


class StoredNotifier:
    """Stores each notice as a ``notification`` row for its recipient to list."""

    def __init__(self, engine: Engine, *, clock: Clock | None = None) -> None:
        self._engine = engine
        self._clock = clock or SystemClock()

    def notify(self, notice: Notice) -> None:
        """Store the notice, unread."""
        row = {
            "recipient": notice.recipient,
            "mission_id": notice.mission_id,
            "kind": notice.kind,
            "text_ja": notice.text_ja,
            "text_en": notice.text_en,
            "reference": notice.reference,
            "created_at": self._clock.now().astimezone(UTC),
            "read_at": None,
        }
        with storage(), Session(self._engine) as session:
            session.execute(insert(NotificationRow), [row])
            session.commit()


class RecordingNotifier:
    """Keeps notices in memory (a dry run, a test)."""

    def __init__(self) -> None:
        self.notices: list[Notice] = []

    def notify(self, notice: Notice) -> None:
        """Remember the notice."""
        self.notices.append(notice)


def _notification(row: NotificationRow) -> Notification:
    assert row.id is not None
    created = utc(row.created_at)
    assert created is not None
    return Notification(
        id=row.id,
        recipient=row.recipient,
        mission_id=row.mission_id,
        kind=row.kind,
        text_ja=row.text_ja,
        text_en=row.text_en,
        created_at=created,
        read_at=utc(row.read_at),
        reference=row.reference,
    )


def list_notifications(
    engine: Engine,
    recipient: str,
    *,
    unread_only: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[Sequence[Notification], int]:
    """A recipient's notifications, newest first, and how many there are in all."""
    where = [col(NotificationRow.recipient) == recipient]
    if unread_only:
        where.append(col(NotificationRow.read_at).is_(None))
    query = (
        select(NotificationRow)
        .where(*where)
        .order_by(col(NotificationRow.created_at).desc(), col(NotificationRow.id).desc())
        .offset(offset)
        .limit(limit)
    )
    with storage(), Session(engine) as session:
        total = session.exec(select(func.count()).select_from(NotificationRow).where(*where)).one()
        return [_notification(row) for row in session.exec(query)], total


def mark_read(
    engine: Engine, notification_id: int, *, recipient: str, clock: Clock | None = None
) -> Notification:
    """Mark a notification read (again: no change).

    Raises
    ------
    NotificationNotFound
        No notification with that id for that recipient (someone else's is not found either).
    """
    now = (clock or SystemClock()).now().astimezone(UTC)
    with storage(), Session(engine) as session:
        row = session.get(NotificationRow, notification_id)
        if row is None or row.recipient != recipient:
            raise NotificationNotFound(f"no notification {notification_id} for {recipient}")
        if row.read_at is None:
            session.execute(
                update(NotificationRow)
                .where(col(NotificationRow.id) == notification_id)
                .values(read_at=now)
            )
            session.commit()
            session.refresh(row)
        return _notification(row)

"""The farmer's morning note: today's stage and target depth for each paddy, and how the
water went yesterday (lowest, highest, the newest depth), sent once a day by the service's
scheduler (05:00 Japan time)."""

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Engine

from api.irrigation import store
from api.irrigation.service import calendar_of
from irrigation import Alert, AlertKind, Metric, Severity
from irrigation.calendar import JST, target_for

__all__ = ["morning_notes"]


def morning_notes(engine: Engine, now: datetime) -> Sequence[tuple[str, Alert]]:
    """Each controlled paddy's note for the day of ``now`` (Japan), with its owner.

    Paddies with no transplanting date (nothing to steer yet) get no note.
    """
    today = now.astimezone(JST).date()
    midnight = datetime(today.year, today.month, today.day, tzinfo=JST)
    yesterday = midnight - timedelta(days=1)
    notes: list[tuple[str, Alert]] = []
    for stored in store.list_paddies(engine):
        paddy = stored.paddy
        if paddy.transplanted_on is None:
            continue
        target = target_for(calendar_of(paddy.variety, stored.calendar), paddy.transplanted_on, now)
        levels, _ = store.readings(
            engine, paddy.id, metric=Metric.WATER_LEVEL, since=yesterday, until=midnight,
            limit=10_000,
        )  # fmt: skip
        if target.setpoint_cm is not None and target.band is not None:
            low, high = target.band
            aim_ja = f"目標 {target.setpoint_cm:g} cm（{low:g}〜{high:g} cm）"
            aim_en = f"target {target.setpoint_cm:g} cm ({low:g}–{high:g} cm)"
        elif target.drain:
            aim_ja, aim_en = "落水（排水）", "drained"
        else:
            aim_ja, aim_en = "給水なし", "no irrigation"
        if levels:
            values = [r.value for r in levels]
            was_ja = f"昨日の水位 {min(values):.1f}〜{max(values):.1f} cm、最新 {values[-1]:.1f} cm"
            was_en = f"yesterday {min(values):.1f}–{max(values):.1f} cm, last {values[-1]:.1f} cm"
        else:
            was_ja, was_en = "昨日の水位データなし", "no level readings yesterday"
        day = f"{today.month}月{today.day}日"
        notes.append(
            (
                stored.owner,
                Alert(
                    paddy_id=paddy.id,
                    kind=AlertKind.DAILY_TARGET,
                    severity=Severity.INFO,
                    at=now,
                    text_ja=f"{day}（田植え後{target.day}日目）: {target.stage.label_ja}、"
                    f"{aim_ja}。{was_ja}。",
                    text_en=f"{today:%d %b} (day {target.day}): {target.stage.value}, {aim_en}; "
                    f"{was_en}.",
                    details={"stage": target.stage.value},
                ),
            )
        )
    return notes

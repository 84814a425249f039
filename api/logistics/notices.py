"""What the recipient and the pharmacy are told about a delivery, in Japanese and English.

Notices go through the notifier port of :mod:`api.scheduling.notify` (the stored
notifications a person lists through the API; a city-app or SMS notifier implements the
same port). The recipient hears when the delivery is booked (with the one-time code: only
its hash is kept, so this notice is the code's only copy), when the drone leaves, when it
is near, when the parcel is down, and if it comes back undelivered; the pharmacy hears when
a delivery is confirmed, and when a released parcel is not confirmed in time (escalated).
"""

from api.logistics.records import StoredDelivery
from api.scheduling import JST, Notice

__all__ = ["delivery_notice", "recipient_of"]

_JA = {
    "scheduled": "ドローン配送を手配しました。到着予定 {eta}（{drop}）。受取コード {code}",
    "departed": "お薬を載せたドローンが出発しました。到着予定 {eta}。",
    "near": "ドローンがまもなく到着します（{drop}）。",
    "released": "お荷物を{drop}に届けました。受け取ったら受取コードで確認してください。",
    "confirmed": "{drop}への配送が受け取られました。",
    "escalated": "{drop}への配送が{minutes}分たっても受取確認されていません。",
    "returned": "ドローンはお荷物を届けられず、薬局へ戻りました。",
    "failed": "配送を完了できませんでした。薬局からご連絡します。",
    "cancelled": "配送は取り消されました。",
}
_EN = {
    "scheduled": "A drone delivery is booked, due at {eta} at {drop}. Your code is {code}.",
    "departed": "The drone with your medicine has left; due at {eta}.",
    "near": "The drone is nearly there ({drop}).",
    "released": "Your parcel is down at {drop}. Please confirm receipt with your code.",
    "confirmed": "The delivery to {drop} has been received.",
    "escalated": "The delivery to {drop} is not confirmed after {minutes} minutes.",
    "returned": "The drone could not hand the parcel over and has flown it back to the pharmacy.",
    "failed": "The delivery could not be completed; the pharmacy will call you.",
    "cancelled": "The delivery has been cancelled.",
}
_TO_PHARMACY = frozenset({"confirmed", "escalated"})


def recipient_of(delivery: StoredDelivery, kind: str) -> str:
    """Who hears of ``kind``: the pharmacy's account, the resident's, or the phone number."""
    if kind in _TO_PHARMACY:
        return delivery.request.pharmacy_id
    r = delivery.request.recipient
    return r.resident_id if r.resident_id is not None else f"phone:{r.phone}"


def delivery_notice(
    delivery: StoredDelivery, kind: str, *, drop_name: str, code: str = "", minutes: int = 0
) -> Notice:
    """The notice of ``kind`` about ``delivery``."""
    eta = delivery.trip.drop_at.astimezone(JST).strftime("%H:%M") if delivery.trip else "—"
    values = {"eta": eta, "code": code or "—", "drop": drop_name, "minutes": minutes}
    return Notice(
        recipient=recipient_of(delivery, kind),
        mission_id=None,
        kind=f"delivery_{kind}",
        text_ja=_JA[kind].format(**values),
        text_en=_EN[kind].format(**values),
        reference=f"delivery:{delivery.id}",
    )

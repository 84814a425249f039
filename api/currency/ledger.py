"""The local ledger: every currency transaction Tanbo asks for, recorded before it is sent.

Each write goes in three steps, so no charge is applied twice or lost when the process
dies between the request and the platform's answer:

1. **intent** — a ``pending`` row with the request and its idempotency key is committed;
2. **call** — the request goes to the platform with that key;
3. **settle** — the row becomes ``succeeded`` (with the platform's transaction id) or
   ``failed`` (with the platform's refusal). No answer leaves it ``pending``.

:meth:`Ledger.resume_pending` sends every pending row again with its own key: the
platform applies a key once and answers a repeat as it did the first time, so a row
whose request was applied before the process died settles without a second charge,
and one that never left settles now. Two resumers at once are safe for the same
reason; settling is ``UPDATE … WHERE status = 'pending'``.

:meth:`Ledger.reconcile` compares the rows with the platform's list and reports each
difference, fixing those with one right answer (the platform is the record of what
moved): a transaction the ledger lacks is adopted, a pending or failed row the platform
applied is settled, a pending row it never saw is sent. Amount or detail mismatches
and rows the platform lacks are reported for a person. :meth:`Ledger.apply_webhook`
applies an event once per event id, in the transaction that records the id.

Callers should derive keys from what they charge for (``spray-<mission id>``): a
caller that dies before step 1 and retries with the same key is safe too.
"""

import uuid
from datetime import datetime, timedelta

from sqlalchemy import Engine

from api.currency.errors import PlatformRefused, PlatformUnavailable
from api.currency.ledger_store import LedgerStore
from api.currency.ledger_tables import (
    CurrencyEntryRow,
    CurrencyWebhookEventRow,
    LedgerEntry,
    ResumeReport,
)
from api.currency.port import (
    ChargeRequest,
    CurrencyPlatform,
    PointsGrant,
    RefundRequest,
    TransactionStatus,
)
from api.currency.reconcile import Discrepancy, DiscrepancyKind, ReconcileReport, reconcile
from api.currency.webhooks import WebhookEvent
from core.clock import Clock, SystemClock

__all__ = [
    "CurrencyEntryRow",
    "CurrencyWebhookEventRow",
    "Discrepancy",
    "DiscrepancyKind",
    "Ledger",
    "LedgerEntry",
    "ReconcileReport",
    "ResumeReport",
    "new_idempotency_key",
]


def new_idempotency_key() -> str:
    """A fresh random key, for writes with nothing better to derive one from."""
    return f"tanbo-{uuid.uuid4()}"


class Ledger:
    """The ledger service: writes through the platform, resuming, reconciling, webhooks.

    ``engine`` is migrated (``api.db.migrate``); ``platform`` is any
    :class:`~api.currency.port.CurrencyPlatform`. Every method is safe to call from
    several processes at once.
    """

    def __init__(
        self, engine: Engine, platform: CurrencyPlatform, *, clock: Clock | None = None
    ) -> None:
        self._store = LedgerStore(engine, platform, clock or SystemClock())

    # writes

    def charge(
        self,
        *,
        account: str,
        amount_yen: int,
        idempotency_key: str | None = None,
        reference: str | None = None,
        description: str = "",
    ) -> LedgerEntry:
        """Charge ``account`` ``amount_yen``: recorded, sent, settled.

        Calling again with the same key returns the same entry (sending it again while
        it is pending); with the same key and another request raises.

        Raises
        ------
        InvalidRequest
            An amount that is not a positive whole number of yen, an empty account …
        IdempotencyConflict
            The key was used for another request.
        PlatformRefused
            The platform refused (e.g. :class:`InsufficientBalance`): the entry is failed.
        PlatformUnavailable
            No final answer: the entry stays pending for :meth:`resume_pending`.
        LedgerStorageError
            The ledger's database refused or could not be reached.
        """
        key = idempotency_key or new_idempotency_key()
        request = ChargeRequest(
            account=account,
            amount_yen=amount_yen,
            idempotency_key=key,
            reference=reference,
            description=description,
        )
        return self._store.execute(request, account)

    def refund(
        self,
        charge_entry_id: str,
        *,
        amount_yen: int | None = None,
        idempotency_key: str | None = None,
        reference: str | None = None,
        description: str = "",
    ) -> LedgerEntry:
        """Refund ``amount_yen`` of a settled charge entry (default: all that is left of it).

        Raises
        ------
        UnknownTransaction
            No ledger entry ``charge_entry_id``.
        InvalidRequest
            The entry is no settled charge, or nothing is left of it to refund.
        RefundExceedsCharge
            The platform refused: more than is left of the charge.
        IdempotencyConflict, PlatformRefused, PlatformUnavailable, LedgerStorageError
            As for :meth:`charge`.
        """
        charge_id, account, amount_yen = self._store.refundable(
            charge_entry_id, amount_yen=amount_yen, idempotency_key=idempotency_key
        )
        request = RefundRequest(
            charge_id=charge_id,
            amount_yen=amount_yen,
            idempotency_key=idempotency_key or new_idempotency_key(),
            reference=reference,
            description=description,
        )
        return self._store.execute(request, account)

    def grant_points(
        self,
        *,
        account: str,
        points: int,
        idempotency_key: str | None = None,
        reference: str | None = None,
        description: str = "",
    ) -> LedgerEntry:
        """Grant ``points`` to ``account``: recorded, sent, settled.

        Raises
        ------
        IdempotencyConflict, PlatformRefused, PlatformUnavailable, LedgerStorageError
            As for :meth:`charge` (and InvalidRequest for points that are not a whole number).
        """
        request = PointsGrant(
            account=account,
            points=points,
            idempotency_key=idempotency_key or new_idempotency_key(),
            reference=reference,
            description=description,
        )
        return self._store.execute(request, account)

    # reading

    def get(self, entry_id: str) -> LedgerEntry:
        """One entry by its id.

        Raises
        ------
        UnknownTransaction
            No such entry.
        """
        return self._store.get(entry_id)

    def by_key(self, idempotency_key: str) -> LedgerEntry | None:
        """The entry with that idempotency key, if any."""
        return self._store.by_key(idempotency_key)

    def entries(
        self, *, status: TransactionStatus | None = None, account: str | None = None
    ) -> list[LedgerEntry]:
        """Entries, oldest first, optionally of one status or account."""
        return self._store.entries(status=status, account=account)

    # recovery

    def resume_pending(self, *, min_age_s: float = 0.0) -> ResumeReport:
        """Send every pending entry older than ``min_age_s`` again, with its own key.

        Stops at the first entry the platform gives no answer for: the rest stay pending.

        Raises
        ------
        LedgerStorageError
            The ledger's database refused or could not be reached.
        """
        rows = self._store.pending(self._store.now() - timedelta(seconds=min_age_s))
        settled: list[LedgerEntry] = []
        failed: list[LedgerEntry] = []
        for index, row in enumerate(rows):
            try:
                entry = self._store.resend(row)
            except PlatformRefused:
                failed.append(self.get(row.id))
                continue
            except PlatformUnavailable:
                still = tuple(r.id for r in rows[index:])
                return ResumeReport(
                    settled=tuple(settled), failed=tuple(failed), still_pending=still
                )
            (settled if entry.status == TransactionStatus.SUCCEEDED else failed).append(entry)
        return ResumeReport(settled=tuple(settled), failed=tuple(failed), still_pending=())

    def reconcile(
        self,
        since: datetime,
        until: datetime | None = None,
        *,
        fix: bool = True,
        skew_s: float = 300.0,
    ) -> ReconcileReport:
        """Compare the entries created in ``[since, until)`` with the platform's transactions.

        Each difference is reported; with ``fix``, those with one right answer are fixed
        (see :class:`DiscrepancyKind`). ``skew_s`` widens the platform's list on both
        sides, so a transaction stamped a little apart from its entry still matches.

        Raises
        ------
        InvalidRequest
            A time without a time zone, or ``until`` not after ``since``.
        PlatformUnavailable
            The platform's list could not be read.
        LedgerStorageError
            The ledger's database refused or could not be reached.
        """
        return reconcile(self._store, since, until, fix=fix, skew_s=skew_s)

    # webhooks

    def apply_webhook(self, event: WebhookEvent) -> bool:
        """Apply a verified event once: whether it was new (False: already applied).

        A ``transaction.succeeded`` event settles the pending or failed entry with its
        key, or adopts the transaction if the ledger lacks it; differing amounts are
        left for :meth:`reconcile` to report. The event id is recorded in the same
        database transaction, so a redelivery or a replay changes nothing.

        Raises
        ------
        LedgerStorageError
            The ledger's database refused or could not be reached (answer 5xx: the
            platform delivers it again).
        """
        return self._store.apply_event(event)

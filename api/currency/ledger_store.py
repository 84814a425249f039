"""The ledger's storage: its rows in the database, and the three steps on one entry.

:class:`LedgerStore` records an intent, sends it to the platform with its key and settles
or fails the entry by the answer (see :mod:`api.currency.ledger` for why), reads entries,
adopts the platform's transactions and applies webhook events. It is the one place
database errors become :class:`~api.currency.errors.LedgerStorageError`. The
:class:`~api.currency.ledger.Ledger` service and :mod:`api.currency.reconcile` use it;
it is not re-exported.
"""

from collections.abc import Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Engine, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from api.currency.errors import (
    IdempotencyConflict,
    InvalidRequest,
    LedgerStorageError,
    PlatformRefused,
    PlatformUnavailable,
    UnknownTransaction,
    refusal_class,
)
from api.currency.ledger_tables import (
    CurrencyEntryRow,
    CurrencyWebhookEventRow,
    LedgerEntry,
    adopted_row,
    differences,
    entry_of,
    intent_row,
    request_of,
    same_request,
)
from api.currency.port import (
    CurrencyPlatform,
    PlatformRequest,
    Transaction,
    TransactionKind,
    TransactionStatus,
    send,
)
from api.currency.webhooks import WebhookEvent
from api.db import storage_errors
from core.clock import Clock

__all__ = ["LedgerStore"]

_PENDING, _SUCCEEDED, _FAILED = (s.value for s in TransactionStatus)


def _storage() -> AbstractContextManager[None]:
    """The one place database errors become :class:`LedgerStorageError`."""
    return storage_errors(LedgerStorageError, what="the ledger's database")


def _with_key(idempotency_key: str) -> SelectOfScalar[CurrencyEntryRow]:
    return select(CurrencyEntryRow).where(col(CurrencyEntryRow.idempotency_key) == idempotency_key)


def _settled(platform_id: str, now: datetime) -> dict[str, Any]:
    """The columns of an entry the platform applied as ``platform_id``."""
    return {
        "status": _SUCCEEDED,
        "platform_id": platform_id,
        "settled_at": now,
        "updated_at": now,
        "failure_status": None,
        "failure_type": None,
        "failure_detail": None,
    }


class LedgerStore:
    """The ledger's rows in ``engine`` (migrated), sent to ``platform``; safe across processes."""

    def __init__(self, engine: Engine, platform: CurrencyPlatform, clock: Clock) -> None:
        self._engine = engine
        self.platform = platform
        self._clock = clock

    def now(self) -> datetime:
        """The clock's time, in UTC."""
        return self._clock.now().astimezone(UTC)

    def _session(self) -> Session:
        return Session(self._engine, expire_on_commit=False)

    # the three steps

    def execute(self, request: PlatformRequest, account: str) -> LedgerEntry:
        """Record ``request`` (or find it by its key), send it and settle it by the answer."""
        row = self._record_intent(request, account)
        if row.status == _SUCCEEDED:
            return entry_of(row)
        if row.status == _FAILED:
            raise _stored_refusal(row)
        return self._send(row.id, request)

    def _record_intent(self, request: PlatformRequest, account: str) -> CurrencyEntryRow:
        row = intent_row(request, account, self.now())
        by_key = _with_key(request.idempotency_key)
        with _storage(), self._session() as session:
            existing = session.exec(by_key).first()
            if existing is None:
                session.add(row)
                try:
                    session.commit()
                    return row
                except IntegrityError:  # the same key, recorded by someone else just now
                    session.rollback()
                    existing = session.exec(by_key).first()
                    if existing is None:
                        raise
        if not same_request(existing, row):
            raise IdempotencyConflict(
                f"idempotency key {request.idempotency_key!r} was used for another request "
                f"(entry {existing.id})",
                status=409,
                problem_type=IdempotencyConflict.TYPE_URI,
            )
        return existing

    def resend(self, row: CurrencyEntryRow) -> LedgerEntry:
        """Send a pending row's request again with its own key, and settle it by the answer."""
        return self._send(row.id, request_of(row))

    def _send(self, entry_id: str, request: PlatformRequest) -> LedgerEntry:
        """Send a pending entry's request with its key, and settle the entry by the answer."""
        claimed = self._update(
            entry_id,
            col(CurrencyEntryRow.status) == _PENDING,
            attempts=col(CurrencyEntryRow.attempts) + 1,
            updated_at=self.now(),
        )
        if claimed == 0:  # settled meanwhile (a concurrent resume, a webhook)
            return self.get(entry_id)
        try:
            transaction = send(self.platform, request)
        except PlatformUnavailable as exc:
            raise PlatformUnavailable(
                f"{exc}; entry {entry_id} stays pending (resume_pending sends it again)"
            ) from exc
        except PlatformRefused as refusal:
            self._fail(entry_id, refusal)
            raise
        return self.settle(entry_id, transaction)

    def settle(self, entry_id: str, transaction: Transaction) -> LedgerEntry:
        """Mark an entry succeeded as ``transaction`` (unless it already is); the entry."""
        now = self.now()
        self._update(
            entry_id, col(CurrencyEntryRow.status) != _SUCCEEDED, **_settled(transaction.id, now)
        )
        return self.get(entry_id)

    def _fail(self, entry_id: str, refusal: PlatformRefused) -> None:
        now = self.now()
        self._update(
            entry_id,
            col(CurrencyEntryRow.status) == _PENDING,
            status=_FAILED,
            settled_at=now,
            updated_at=now,
            failure_status=refusal.status,
            failure_type=refusal.problem_type[:200],
            failure_detail=refusal.detail[:1000],
        )

    def _update(self, entry_id: str, allowed: ColumnElement[bool], **values: Any) -> int:
        """Change an entry if its status is ``allowed``: the rows changed, 0 or 1."""
        with _storage(), self._session() as session:
            changed = session.connection().execute(
                update(CurrencyEntryRow)
                .where(col(CurrencyEntryRow.id) == entry_id, allowed)
                .values(**values)
            )
            session.commit()
        return changed.rowcount

    # reading

    def get(self, entry_id: str) -> LedgerEntry:
        """One entry by its id (:class:`UnknownTransaction` if there is none)."""
        with _storage(), self._session() as session:
            row = session.get(CurrencyEntryRow, entry_id)
        if row is None:
            raise _unknown(entry_id)
        return entry_of(row)

    def by_key(self, idempotency_key: str) -> LedgerEntry | None:
        """The entry with that idempotency key, if any."""
        with _storage(), self._session() as session:
            row = session.exec(_with_key(idempotency_key)).first()
        return None if row is None else entry_of(row)

    def entries(
        self, *, status: TransactionStatus | None, account: str | None
    ) -> list[LedgerEntry]:
        """Entries, oldest first, optionally of one status or account."""
        query = select(CurrencyEntryRow).order_by(col(CurrencyEntryRow.created_at))
        if status is not None:
            query = query.where(col(CurrencyEntryRow.status) == status.value)
        if account is not None:
            query = query.where(col(CurrencyEntryRow.account) == account)
        with _storage(), self._session() as session:
            return [entry_of(row) for row in session.exec(query).all()]

    def pending(self, created_by: datetime) -> Sequence[CurrencyEntryRow]:
        """The pending rows created by ``created_by``, oldest first."""
        with _storage(), self._session() as session:
            return session.exec(
                select(CurrencyEntryRow)
                .where(
                    col(CurrencyEntryRow.status) == _PENDING,
                    col(CurrencyEntryRow.created_at) <= created_by,
                )
                .order_by(col(CurrencyEntryRow.created_at))
            ).all()

    def created_between(
        self, since: datetime, until: datetime, *, also_keys: Iterable[str]
    ) -> tuple[Sequence[CurrencyEntryRow], dict[str, CurrencyEntryRow]]:
        """The rows created in ``[since, until)``; those and the rows with ``also_keys``, by key."""
        with _storage(), self._session() as session:
            local = session.exec(
                select(CurrencyEntryRow).where(
                    col(CurrencyEntryRow.created_at) >= since,
                    col(CurrencyEntryRow.created_at) < until,
                )
            ).all()
            rows = {row.idempotency_key: row for row in local}
            wanted = [key for key in also_keys if key not in rows]
            for start in range(0, len(wanted), 500):
                chunk = wanted[start : start + 500]
                query = select(CurrencyEntryRow).where(
                    col(CurrencyEntryRow.idempotency_key).in_(chunk)
                )
                rows.update((row.idempotency_key, row) for row in session.exec(query).all())
        return local, rows

    def refundable(
        self, charge_entry_id: str, *, amount_yen: int | None, idempotency_key: str | None
    ) -> tuple[str, str, int]:
        """What a refund of a settled charge entry gives back: the charge's platform id, its
        payer and the yen (``amount_yen``, or by default all that is left of the charge).

        Raises
        ------
        UnknownTransaction
            No entry ``charge_entry_id``.
        InvalidRequest
            The entry is no settled charge, or nothing is left of it to refund.
        """
        with _storage(), self._session() as session:
            charge = session.get(CurrencyEntryRow, charge_entry_id)
            if charge is None:
                raise _unknown(charge_entry_id)
            if charge.kind != TransactionKind.CHARGE or charge.platform_id is None:
                raise InvalidRequest(f"entry {charge_entry_id} is no settled charge")
            if amount_yen is None:
                refunds = session.exec(
                    select(CurrencyEntryRow).where(
                        col(CurrencyEntryRow.refund_of) == charge.platform_id,
                        col(CurrencyEntryRow.status) != _FAILED,
                    )
                ).all()
                retried = [r for r in refunds if r.idempotency_key == idempotency_key]
                # a retry of "the rest" with its key means the rest as it was the first time
                amount_yen = (
                    retried[0].amount_yen
                    if retried
                    else (charge.amount_yen - sum(r.amount_yen for r in refunds))
                )
                if amount_yen <= 0:
                    raise InvalidRequest(f"nothing is left to refund of entry {charge_entry_id}")
        return charge.platform_id, charge.account, amount_yen

    # the platform's own word

    def adopt(self, t: Transaction) -> bool:
        """Record a transaction the ledger lacks: whether the ledger has its key now."""
        with _storage(), self._session() as session:
            session.add(adopted_row(t, self.now()))
            try:
                session.commit()
            except IntegrityError:  # adopted or recorded by someone else just now
                session.rollback()
        return self.by_key(t.idempotency_key) is not None

    def apply_event(self, event: WebhookEvent) -> bool:
        """Apply a verified event once: whether it was new (see ``Ledger.apply_webhook``)."""
        t = event.transaction
        for _attempt in range(2):
            with _storage(), self._session() as session:
                now = self.now()
                session.add(
                    CurrencyWebhookEventRow(
                        id=event.id, type=event.type[:100], transaction_id=t.id, received_at=now
                    )
                )
                try:
                    session.flush()
                except IntegrityError:
                    return False
                if (
                    event.type == "transaction.succeeded"
                    and t.status == TransactionStatus.SUCCEEDED
                ):
                    row = session.exec(_with_key(t.idempotency_key)).first()
                    if row is None:
                        session.add(adopted_row(t, now))
                    elif row.status != _SUCCEEDED and differences(row, t) == ([], []):
                        for name, value in _settled(t.id, now).items():
                            setattr(row, name, value)
                try:
                    session.commit()
                    return True
                except IntegrityError:  # a concurrent adopt or apply of the same: look again
                    session.rollback()
        raise LedgerStorageError(f"event {event.id} could not be applied; deliver it again")


def _unknown(entry_id: str) -> UnknownTransaction:
    return UnknownTransaction(
        f"no ledger entry {entry_id!r}", status=404, problem_type=UnknownTransaction.TYPE_URI
    )


def _stored_refusal(row: CurrencyEntryRow) -> PlatformRefused:
    problem_type = row.failure_type or "about:blank"
    return refusal_class(problem_type)(
        row.failure_detail or "refused", status=row.failure_status or 400, problem_type=problem_type
    )

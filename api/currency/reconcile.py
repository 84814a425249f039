"""Reconciliation: the ledger's entries against the platform's transactions, and its report.

The platform is the record of what moved. :func:`reconcile` reports each difference
(:class:`Discrepancy`, of a :class:`DiscrepancyKind`) and, asked to, fixes those with one
right answer: a transaction the ledger lacks is adopted, a pending or failed entry the
platform applied is settled, a pending entry it never saw is sent. Amount or detail
mismatches and entries the platform lacks are left for a person
(:attr:`ReconcileReport.unresolved`). Callers use
:meth:`api.currency.ledger.Ledger.reconcile`.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from api.currency.errors import InvalidRequest, PlatformRefused, PlatformUnavailable
from api.currency.ledger_store import LedgerStore
from api.currency.ledger_tables import CurrencyEntryRow, differences
from api.currency.port import Transaction, TransactionStatus

__all__ = ["Discrepancy", "DiscrepancyKind", "ReconcileReport", "reconcile"]

_PENDING, _SUCCEEDED, _FAILED = (s.value for s in TransactionStatus)


class DiscrepancyKind(StrEnum):
    """How the ledger and the platform differ."""

    MISSING_LOCALLY = "missing_locally"
    """The platform has a transaction the ledger lacks: adopted."""
    NOT_SETTLED = "not_settled"
    """The platform applied what the ledger has pending: settled."""
    STATUS_MISMATCH = "status_mismatch"
    """The platform applied what the ledger has as failed: settled."""
    NOT_SENT = "not_sent"
    """A pending entry the platform never saw: sent now."""
    MISSING_ON_PLATFORM = "missing_on_platform"
    """The ledger has a succeeded entry the platform lacks: for a person."""
    AMOUNT_MISMATCH = "amount_mismatch"
    """Yen or points differ: for a person."""
    DETAILS_MISMATCH = "details_mismatch"
    """Kind, account, refunded charge or platform id differ: for a person."""


@dataclass(frozen=True, kw_only=True, slots=True)
class Discrepancy:
    """One difference found by :meth:`~api.currency.ledger.Ledger.reconcile`."""

    kind: DiscrepancyKind
    idempotency_key: str
    account: str
    entry_id: str | None
    transaction_id: str | None
    detail: str
    fixed: bool


@dataclass(frozen=True, kw_only=True, slots=True)
class ReconcileReport:
    """The outcome of one reconciliation."""

    since: datetime
    until: datetime
    local_checked: int
    platform_checked: int
    discrepancies: tuple[Discrepancy, ...]

    @property
    def unresolved(self) -> tuple[Discrepancy, ...]:
        """The differences left for a person."""
        return tuple(d for d in self.discrepancies if not d.fixed)


def reconcile(
    store: LedgerStore, since: datetime, until: datetime | None, *, fix: bool, skew_s: float
) -> ReconcileReport:
    """Compare the entries created in ``[since, until)`` with the platform's transactions:
    :meth:`api.currency.ledger.Ledger.reconcile` (its arguments and what it raises)."""
    if since.tzinfo is None or (until is not None and until.tzinfo is None):
        raise InvalidRequest("reconcile needs timezone-aware times")
    since, until = since.astimezone(UTC), (until or store.now()).astimezone(UTC)
    if until <= since:
        raise InvalidRequest("until must be after since")
    margin = timedelta(seconds=skew_s)
    listed = store.platform.list_transactions(since=since - margin, until=until + margin)
    platform = {t.idempotency_key: t for t in listed if t.status == TransactionStatus.SUCCEEDED}
    in_window = [t for t in platform.values() if since <= t.created_at < until]
    local, rows = store.created_between(
        since, until, also_keys=[t.idempotency_key for t in in_window]
    )
    found: list[Discrepancy] = []
    for t in in_window:
        row = rows.get(t.idempotency_key)
        if row is None:
            fixed = fix and store.adopt(t)
            detail = f"{t.kind.value} {t.id} of {t.account} is not in the ledger"
            found.append(_discrepancy(DiscrepancyKind.MISSING_LOCALLY, t, None, detail, fixed))
        else:
            found.extend(_compare(store, row, t, fix))
    for row in local:
        if row.idempotency_key not in platform:
            found.extend(_unseen(store, row, fix))
    return ReconcileReport(
        since=since,
        until=until,
        local_checked=len(local),
        platform_checked=len(in_window),
        discrepancies=tuple(found),
    )


def _compare(
    store: LedgerStore, row: CurrencyEntryRow, t: Transaction, fix: bool
) -> list[Discrepancy]:
    amounts, details = differences(row, t)
    found = []
    if amounts:
        detail = "; ".join(amounts)
        found.append(_discrepancy(DiscrepancyKind.AMOUNT_MISMATCH, t, row, detail, False))
    if details:
        detail = "; ".join(details)
        found.append(_discrepancy(DiscrepancyKind.DETAILS_MISMATCH, t, row, detail, False))
    if row.status != _SUCCEEDED and not found:
        kind = DiscrepancyKind.NOT_SETTLED
        if row.status == _FAILED:
            kind = DiscrepancyKind.STATUS_MISMATCH
        fixed = fix and store.settle(row.id, t).status == TransactionStatus.SUCCEEDED
        detail = f"entry {row.id} is {row.status}; the platform applied it as {t.id}"
        found.append(_discrepancy(kind, t, row, detail, fixed))
    return found


def _unseen(store: LedgerStore, row: CurrencyEntryRow, fix: bool) -> list[Discrepancy]:
    """A row whose key the platform's list lacks."""
    if row.status == _FAILED:
        return []
    kind = DiscrepancyKind.MISSING_ON_PLATFORM
    detail = f"entry {row.id} ({row.kind} {row.platform_id}) is not on the platform"
    fixed = False
    if row.status == _PENDING:
        kind, detail = DiscrepancyKind.NOT_SENT, f"entry {row.id} never reached the platform"
        if fix:
            try:
                fixed = store.resend(row).status != TransactionStatus.PENDING
            except PlatformRefused:
                fixed = True  # resolved: the entry is failed, nothing moved
            except PlatformUnavailable:
                fixed = False
    return [
        Discrepancy(
            kind=kind,
            idempotency_key=row.idempotency_key,
            account=row.account,
            entry_id=row.id,
            transaction_id=row.platform_id,
            detail=detail,
            fixed=fixed,
        )
    ]


def _discrepancy(
    kind: DiscrepancyKind,
    t: Transaction,
    row: CurrencyEntryRow | None,
    detail: str,
    fixed: bool,
) -> Discrepancy:
    return Discrepancy(
        kind=kind,
        idempotency_key=t.idempotency_key,
        account=t.account,
        entry_id=None if row is None else row.id,
        transaction_id=t.id,
        detail=detail,
        fixed=fixed,
    )

"""The sandbox platform's storage, and its charge, refund and points operations.

A SQLite file (SQLAlchemy Core, its own tables, created by :func:`open_storage`) holds the
wallets, the transactions, the stored answers of idempotent writes and the log of the
writes received (the webhook outbox keeps its table in :mod:`.sandbox_webhooks`). Each
function works inside the caller's connection, so a write is applied, its answer stored
and its event queued in one transaction. The operations (:func:`apply_charge`,
:func:`apply_refund`, :func:`apply_points`) take the fields of the request's body and
raise a :class:`~api.currency.errors.PlatformRefused` for a refusal. Times are stored
naive, in UTC. Used by :mod:`.sandbox_runtime` and :mod:`.sandbox`.
"""

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import (
    Column,
    Connection,
    DateTime,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    create_engine,
    insert,
    select,
    update,
)

from api.currency.errors import (
    InsufficientBalance,
    PlatformRefused,
    RefundExceedsCharge,
    UnknownAccount,
    UnknownTransaction,
)
from api.currency.port import (
    MAX_ACCOUNT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_KEY_CHARS,
    MAX_REFERENCE_CHARS,
    Transaction,
    TransactionKind,
    TransactionStatus,
)

__all__ = [
    "apply_charge",
    "apply_points",
    "apply_refund",
    "aware",
    "find_transaction",
    "find_wallet",
    "log_request",
    "naive",
    "open_storage",
    "request_log",
    "set_wallet",
    "store_answer",
    "stored_answer",
    "top_up",
    "transaction_of",
    "transactions_page",
]

_meta = MetaData()
_wallet = Table(
    "wallet",
    _meta,
    Column("account", String(MAX_ACCOUNT_CHARS), primary_key=True),
    Column("balance_yen", Integer, nullable=False),
    Column("points", Integer, nullable=False),
)
_txn = Table(
    "txn",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("id", String(40), nullable=False, unique=True),
    Column("kind", String(10), nullable=False),
    Column("account", String(MAX_ACCOUNT_CHARS), nullable=False),
    Column("amount_yen", Integer, nullable=False),
    Column("points", Integer, nullable=False),
    Column("refunded_yen", Integer, nullable=False),
    Column("refund_of", String(40)),
    Column("idempotency_key", String(MAX_KEY_CHARS), nullable=False, unique=True),
    Column("reference", String(MAX_REFERENCE_CHARS)),
    Column("description", String(MAX_DESCRIPTION_CHARS), nullable=False),
    Column("created_at", DateTime, nullable=False, index=True),  # naive UTC
)
_answer = Table(
    "idempotent_answer",
    _meta,
    Column("key", String(MAX_KEY_CHARS), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("status", Integer, nullable=False),
    Column("body", Text, nullable=False),
)
_log = Table(
    "request_log",
    _meta,
    Column("seq", Integer, primary_key=True, autoincrement=True),
    Column("idempotency_key", String(MAX_KEY_CHARS), nullable=False, index=True),
    Column("path", String(100), nullable=False),
    Column("outcome", String(10), nullable=False),
    Column("status", Integer, nullable=False),
    Column("received_at", DateTime, nullable=False),
)


def open_storage(data_dir: Path) -> Engine:
    """The engine of ``data_dir``'s ``sandbox.db``, its tables created."""
    engine = create_engine(f"sqlite:///{data_dir / 'sandbox.db'}")
    _meta.create_all(engine)
    return engine


def naive(moment: datetime) -> datetime:
    """A moment as stored: naive, in UTC."""
    return moment.astimezone(UTC).replace(tzinfo=None)


def aware(moment: datetime) -> datetime:
    """A stored moment, in UTC again."""
    return moment.replace(tzinfo=UTC)


# the operations, each inside the write's transaction


def _refusal(cls: type[PlatformRefused], status: int, detail: str) -> PlatformRefused:
    return cls(detail, status=status, problem_type=cls.TYPE_URI)


def transaction_of(row: Any) -> Transaction:
    """The transaction a ``txn`` row holds."""
    return Transaction(
        id=row["id"],
        kind=TransactionKind(row["kind"]),
        account=row["account"],
        amount_yen=row["amount_yen"],
        points=row["points"],
        status=TransactionStatus.SUCCEEDED,
        idempotency_key=row["idempotency_key"],
        created_at=aware(row["created_at"]),
        reference=row["reference"],
        description=row["description"],
        refund_of=row["refund_of"],
        refunded_yen=row["refunded_yen"],
    )


def _record(conn: Connection, now: datetime, key: str, **values: Any) -> Transaction:
    row = {
        "id": f"txn_{uuid.uuid4().hex[:24]}",
        "idempotency_key": key,
        "created_at": naive(now),
        "amount_yen": 0,
        "points": 0,
        "refunded_yen": 0,
        "refund_of": None,
        **values,
    }
    conn.execute(insert(_txn).values(**row))
    return transaction_of(row)


def _wallet_row(conn: Connection, account: str) -> Any:
    row = find_wallet(conn, account)
    if row is None:
        raise _refusal(UnknownAccount, 404, f"no wallet {account!r}")
    return row


def apply_charge(
    conn: Connection,
    key: str,
    now: datetime,
    *,
    account: str,
    amount_yen: int,
    reference: str | None,
    description: str,
) -> Transaction:
    """Take ``amount_yen`` from ``account``'s wallet: the charge."""
    wallet = _wallet_row(conn, account)
    if wallet["balance_yen"] < amount_yen:
        raise _refusal(
            InsufficientBalance,
            402,
            f"wallet {account!r} holds {wallet['balance_yen']} yen; the charge is {amount_yen} yen",
        )
    conn.execute(
        update(_wallet)
        .where(_wallet.c.account == account)
        .values(balance_yen=_wallet.c.balance_yen - amount_yen)
    )
    return _record(
        conn,
        now,
        key,
        kind="charge",
        account=account,
        amount_yen=amount_yen,
        reference=reference,
        description=description,
    )


def apply_refund(
    conn: Connection,
    key: str,
    now: datetime,
    *,
    charge_id: str,
    amount_yen: int,
    reference: str | None,
    description: str,
) -> Transaction:
    """Give back ``amount_yen`` of a charge, never more than is left of it: the refund."""
    charge = find_transaction(conn, charge_id)
    if charge is None:
        raise _refusal(UnknownTransaction, 404, f"no transaction {charge_id!r}")
    if charge["kind"] != "charge":
        raise _refusal(RefundExceedsCharge, 409, f"{charge_id} is a {charge['kind']}, no charge")
    left_yen = charge["amount_yen"] - charge["refunded_yen"]
    if amount_yen > left_yen:
        raise _refusal(
            RefundExceedsCharge,
            409,
            f"{left_yen} yen is left to refund of {charge_id}; asked {amount_yen} yen",
        )
    conn.execute(
        update(_txn)
        .where(_txn.c.id == charge_id)
        .values(refunded_yen=_txn.c.refunded_yen + amount_yen)
    )
    conn.execute(
        update(_wallet)
        .where(_wallet.c.account == charge["account"])
        .values(balance_yen=_wallet.c.balance_yen + amount_yen)
    )
    return _record(
        conn,
        now,
        key,
        kind="refund",
        account=charge["account"],
        amount_yen=amount_yen,
        refund_of=charge_id,
        reference=reference,
        description=description,
    )


def apply_points(
    conn: Connection,
    key: str,
    now: datetime,
    *,
    account: str,
    points: int,
    reference: str | None,
    description: str,
) -> Transaction:
    """Add ``points`` to ``account``'s wallet: the grant."""
    _wallet_row(conn, account)
    conn.execute(
        update(_wallet).where(_wallet.c.account == account).values(points=_wallet.c.points + points)
    )
    return _record(
        conn,
        now,
        key,
        kind="points",
        account=account,
        points=points,
        reference=reference,
        description=description,
    )


# transactions and wallets


def find_transaction(conn: Connection, transaction_id: str) -> Any | None:
    """The ``txn`` row of ``transaction_id``, if any."""
    return conn.execute(select(_txn).where(_txn.c.id == transaction_id)).mappings().first()


def transactions_page(
    conn: Connection,
    *,
    since: datetime | None,
    until: datetime | None,
    after: int | None,
    limit: int,
    idempotency_key: str | None,
) -> tuple[list[Any], str | None]:
    """Up to ``limit`` ``txn`` rows, oldest first, and the cursor of the next page if any."""
    query = select(_txn).order_by(_txn.c.seq).limit(limit + 1)
    if since is not None:
        query = query.where(_txn.c.created_at >= naive(_as_utc(since)))
    if until is not None:
        query = query.where(_txn.c.created_at < naive(_as_utc(until)))
    if after is not None:
        query = query.where(_txn.c.seq > after)
    if idempotency_key is not None:
        query = query.where(_txn.c.idempotency_key == idempotency_key)
    rows = list(conn.execute(query).mappings())
    page = rows[:limit]
    return page, str(page[-1]["seq"]) if len(rows) > limit else None


def _as_utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def find_wallet(conn: Connection, account: str) -> Any | None:
    """The wallet row of ``account``, if any."""
    return conn.execute(select(_wallet).where(_wallet.c.account == account)).mappings().first()


def set_wallet(conn: Connection, account: str, *, balance_yen: int, points: int) -> None:
    """Create a wallet or set its balances."""
    values = {"balance_yen": balance_yen, "points": points}
    changed = conn.execute(update(_wallet).where(_wallet.c.account == account).values(**values))
    if changed.rowcount == 0:
        conn.execute(insert(_wallet).values(account=account, **values))


def top_up(conn: Connection, account: str, amount_yen: int) -> Any | None:
    """Add yen to a wallet: its row, if there is one."""
    query = update(_wallet).where(_wallet.c.account == account)
    conn.execute(query.values(balance_yen=_wallet.c.balance_yen + amount_yen))
    return find_wallet(conn, account)


# idempotent answers and the log of writes


def stored_answer(conn: Connection, key: str) -> Any | None:
    """The answer stored for an idempotency key: its fingerprint, status and body."""
    return conn.execute(select(_answer).where(_answer.c.key == key)).mappings().first()


def store_answer(conn: Connection, key: str, fingerprint: str, status: int, body: str) -> None:
    """Keep the answer to a key's first request, to give it again."""
    conn.execute(insert(_answer).values(key=key, fingerprint=fingerprint, status=status, body=body))


def log_request(
    conn: Connection, key: str, path: str, outcome: str, status: int, now: datetime
) -> int:
    """Log a write received and its fate: its sequence number."""
    logged = conn.execute(
        insert(_log).values(
            idempotency_key=key,
            path=path,
            outcome=outcome,
            status=status,
            received_at=naive(now),
        )
    )
    return int(logged.inserted_primary_key[0])  # type: ignore[index]


def request_log(conn: Connection, idempotency_key: str | None) -> list[Any]:
    """The writes logged (with one key, or all), oldest first."""
    query = select(_log).order_by(_log.c.seq).limit(10_000)
    if idempotency_key is not None:
        query = query.where(_log.c.idempotency_key == idempotency_key)
    return list(conn.execute(query).mappings())

"""The HTTP adapter to the currency platform's API, as the sandbox serves it.

:class:`PlatformClient` implements :class:`~api.currency.port.CurrencyPlatform` with
httpx: ``Authorization: Bearer <api key>``, writes with an ``Idempotency-Key`` header,
refusals as RFC 9457 problem documents. httpx's exceptions and the platform's answers
become this package's errors in one place, :meth:`PlatformClient._request`:

=====================================  ===================================================
no answer, a timeout, 5xx, 429, 401/3  :class:`~api.currency.errors.PlatformUnavailable`
                                       (not final: send again with the same key)
another 4xx problem                    the :class:`~api.currency.errors.PlatformRefused`
                                       subclass named by the problem's ``type``
=====================================  ===================================================

:class:`SandboxClient` adds the sandbox's own routes (wallets, the request log, the
answer delay, webhook deliveries) for tests and the demo.
"""

from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from api.currency.errors import InvalidRequest, PlatformUnavailable, refusal_class
from api.currency.port import (
    ChargeRequest,
    PlatformRequest,
    PointsGrant,
    RefundRequest,
    Transaction,
    transaction_from_json,
)

__all__ = ["PlatformClient", "PlatformConfig", "SandboxClient", "Wallet"]

_NOT_FINAL = {401, 403, 408, 425, 429}
_PAGE_SIZE = 200


@dataclass(frozen=True, kw_only=True, slots=True)
class PlatformConfig:
    """Where the platform is and how to talk to it."""

    base_url: str
    """e.g. ``http://127.0.0.1:8765`` for a local ``tanbo currency-sandbox``."""
    api_key: str
    timeout_s: float = 10.0
    """How long to wait for an answer; after it, the outcome is unknown."""

    def __post_init__(self) -> None:
        if not self.base_url.startswith(("http://", "https://")):
            raise InvalidRequest(f"the platform URL {self.base_url!r} is not http(s)")
        if not self.api_key:
            raise InvalidRequest("the platform API key is empty")
        if not self.timeout_s > 0:
            raise InvalidRequest(f"timeout_s must be positive, not {self.timeout_s!r}")


class PlatformClient:
    """The currency platform over HTTP (sync; one connection pool; close it, or use ``with``).

    >>> client = PlatformClient(PlatformConfig(base_url="http://127.0.0.1:9", api_key="k"))
    >>> client.close()
    """

    def __init__(
        self, config: PlatformConfig, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._http = httpx.Client(
            base_url=config.base_url.rstrip("/"),
            headers={"Authorization": f"Bearer {config.api_key}", "Accept": "application/json"},
            timeout=config.timeout_s,
            transport=transport,
        )

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connections."""
        self._http.close()

    # the port

    def charge(self, request: ChargeRequest) -> Transaction:
        """Charge the payer; the charge transaction."""
        return self._write("/v1/charges", request)

    def refund(self, request: RefundRequest) -> Transaction:
        """Refund part or all of a charge; the refund transaction."""
        return self._write("/v1/refunds", request)

    def grant_points(self, request: PointsGrant) -> Transaction:
        """Grant points; the points transaction."""
        return self._write("/v1/points", request)

    def get_transaction(self, transaction_id: str) -> Transaction:
        """One transaction by the platform's id."""
        return transaction_from_json(
            self._request("GET", f"/v1/transactions/{quote(transaction_id, safe='')}")
        )

    def list_transactions(
        self, *, since: datetime, until: datetime | None = None
    ) -> Iterator[Transaction]:
        """Every transaction created in ``[since, until)``, oldest first (paged)."""
        params: dict[str, str | int] = {"since": since.isoformat(), "limit": _PAGE_SIZE}
        if until is not None:
            params["until"] = until.isoformat()
        while True:
            page = self._request("GET", "/v1/transactions", params=params)
            for item in page.get("data", []):
                yield transaction_from_json(item)
            cursor = page.get("next_cursor")
            if not cursor:
                return
            params["after"] = str(cursor)

    # the one boundary

    def _write(self, path: str, request: PlatformRequest) -> Transaction:
        body = asdict(request)  # its fields in order, all but the key, which is a header
        key = body.pop("idempotency_key")
        return transaction_from_json(
            self._request("POST", path, json=body, headers={"Idempotency-Key": key})
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        json: Any = None,
        params: dict[str, str | int] | None = None,
        headers: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        try:
            response = self._http.request(method, path, json=json, params=params, headers=headers)
        except httpx.TimeoutException as exc:
            raise PlatformUnavailable(f"no answer from the platform in time ({exc!r})") from exc
        except httpx.HTTPError as exc:
            raise PlatformUnavailable(f"cannot reach the platform: {exc}") from exc
        status = response.status_code
        try:
            data = response.json()
        except ValueError:
            data = None
        if status >= 500 or status in _NOT_FINAL:
            detail = data.get("detail") if isinstance(data, dict) else None
            raise PlatformUnavailable(
                f"the platform answered {status} {response.reason_phrase}"
                + (f": {detail}" if detail else "")
            )
        if status >= 400:
            problem = data if isinstance(data, dict) else {}
            problem_type = str(problem.get("type") or "about:blank")
            detail = str(problem.get("detail") or problem.get("title") or response.reason_phrase)
            refusal = refusal_class(problem_type)
            raise refusal(detail, status=status, problem_type=problem_type, problem=problem)
        if not isinstance(data, dict):
            raise PlatformUnavailable(f"the platform answered {status} without a JSON object")
        return data


@dataclass(frozen=True, kw_only=True, slots=True)
class Wallet:
    """A sandbox wallet: its yen and its points."""

    account: str
    balance_yen: int
    points: int


class SandboxClient(PlatformClient):
    """The platform client plus the sandbox's own routes (tests and the demo)."""

    def set_wallet(self, account: str, *, balance_yen: int, points: int = 0) -> Wallet:
        """Create the wallet, or set its balances."""
        body = {"balance_yen": balance_yen, "points": points}
        return _wallet(
            self._request("PUT", f"/sandbox/wallets/{quote(account, safe='')}", json=body)
        )

    def top_up(self, account: str, amount_yen: int) -> Wallet:
        """Add yen to a wallet."""
        path = f"/sandbox/wallets/{quote(account, safe='')}/top-up"
        return _wallet(self._request("POST", path, json={"amount_yen": amount_yen}))

    def wallet(self, account: str) -> Wallet:
        """A wallet's balances."""
        return _wallet(self._request("GET", f"/sandbox/wallets/{quote(account, safe='')}"))

    def requests_for(self, idempotency_key: str) -> list[dict[str, Any]]:
        """The write requests the sandbox received with that key, in order.

        Each: ``outcome`` (``applied``, ``refused``, ``replayed``, ``conflict``), ``status``,
        ``received_at``, and ``held`` (its answer is being held back right now).
        """
        page = self._request(
            "GET", "/sandbox/requests", params={"idempotency_key": idempotency_key}
        )
        return list(page["data"])

    def set_answer_delay(self, seconds: float) -> None:
        """Hold every later write's answer this long (after applying it)."""
        self._request("PUT", "/sandbox/config", json={"answer_delay_s": seconds})

    def webhook_deliveries(self) -> list[dict[str, Any]]:
        """The webhook events and how their delivery went."""
        return list(self._request("GET", "/sandbox/webhooks")["data"])

    def redeliver(self, event_id: str) -> None:
        """Send an event again (signed anew): what a replay or a platform retry looks like."""
        self._request("POST", f"/sandbox/webhooks/{quote(event_id, safe='')}/redeliver")


def _wallet(data: dict[str, Any]) -> Wallet:
    return Wallet(
        account=str(data["account"]),
        balance_yen=int(data["balance_yen"]),
        points=int(data["points"]),
    )

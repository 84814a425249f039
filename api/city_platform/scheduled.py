"""Publishing to the city's context broker from ``tanbo serve``, every so often.

:func:`http_broker` is the broker the settings name (its tenant and token as headers), for
``tanbo city publish`` and for :class:`CityPublisher`, which ``tanbo serve`` starts when
``city_broker_url`` and ``city_publish_every_min`` are set: the process that leads the
scheduler publishes a first time soon after it starts, then every period; a round that
fails (the broker away, entities refused) is logged and the next round tries again, and
every round deletes what a withdrawn consent no longer allows, as the command does.
"""

import logging
import threading
from collections.abc import Callable

from sqlalchemy import Engine

from api.city_platform.broker import HttpContextBroker
from api.city_platform.errors import BrokerError
from api.city_platform.ngsi import EntityIds
from api.city_platform.outcomes import PublishReport
from api.city_platform.publish import publish
from api.config import Settings
from api.errors import ConfigError
from core.errors import TanboError

__all__ = ["CityPublisher", "http_broker"]

_log = logging.getLogger(__name__)

FIRST_AFTER_S = 10.0
"""The first round after the service starts, s (what the last run left is sent soon)."""


def http_broker(settings: Settings) -> HttpContextBroker:
    """The city's broker as the settings name it, with its tenant and token.

    Raises
    ------
    api.errors.ConfigError
        No ``city_broker_url``.
    """
    if not settings.city_broker_url:
        raise ConfigError(
            "set city_broker_url (TANBO_CITY_BROKER_URL) to the city's NGSI-LD broker"
        )
    headers: dict[str, str] = {}
    if settings.city_broker_tenant:
        headers["NGSILD-Tenant"] = settings.city_broker_tenant
    if settings.city_broker_token:
        headers["Authorization"] = f"Bearer {settings.city_broker_token}"
    return HttpContextBroker(settings.city_broker_url, headers=headers)


class CityPublisher:
    """Publishes the city's entities every ``city_publish_every_min`` while leading."""

    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        *,
        leading: Callable[[], bool] = lambda: True,
        first_after_s: float = FIRST_AFTER_S,
    ) -> None:
        if settings.city_publish_every_min is None:
            raise ValueError("city_publish_every_min is not set")
        self._engine = engine
        self._settings = settings
        self._leading = leading
        self._first_after_s = first_after_s
        self._every_s = settings.city_publish_every_min * 60.0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last: PublishReport | None = None
        """The last round's report (None before the first)."""
        self.rounds = 0

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="tanbo-city-publish",
                                        daemon=True)  # fmt: skip
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(60.0)

    def publish_now(self) -> PublishReport:
        """One round.

        Raises
        ------
        api.city_platform.errors.BrokerError, api.errors.StorageError
            As :func:`api.city_platform.publish.publish`.
        """
        ids = EntityIds(prefix=self._settings.city_id_prefix)
        with http_broker(self._settings) as broker:
            report = publish(self._engine, broker, ids=ids)
        self.last = report
        self.rounds += 1
        return report

    def _run(self) -> None:
        wait_s = self._first_after_s
        while not self._stop.wait(wait_s):
            wait_s = self._every_s
            if not self._leading():
                continue
            try:
                report = self.publish_now()
            except (BrokerError, TanboError) as exc:
                _log.warning("city data platform: not published this round: %s", exc)
                continue
            _log.info("city data platform: %d published, %d removed, %d refused",
                      len(report.sent), len(report.removed), len(report.refused))  # fmt: skip

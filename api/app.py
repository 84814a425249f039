"""The HTTP API: one FastAPI app, built from settings (``tanbo serve`` runs it)."""

import os
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine

from api.background import Background, ledger_for, webhook_verifier_for
from api.config import Settings, load_settings
from api.currency import PricingConfig
from api.db import connect, migrate
from api.deps import Services
from api.errors import ConfigError
from api.identity import OidcClient
from api.logistics.service import DeliveryService
from api.problems import install_problem_handlers
from api.routes import (
    auth,
    billing,
    city,
    console_settings,
    deliveries,
    delivery_places,
    delivery_proof,
    field_agronomy,
    field_forecast,
    fields,
    fleet_status,
    images,
    live,
    mission_plan,
    missions,
    open_data,
    paddies,
    paddy_state,
    plans,
    prescriptions,
    vehicles,
    water_devices,
    water_warnings,
    zones,
)
from api.scheduling.notify import Notifier, StoredNotifier
from api.scheduling.weather import RecordedWeather
from api.web_console import mount_console
from api.webhook_notifier import FanOutNotifier, WebhookNotifier
from core.clock import Clock, SystemClock

__all__ = ["app_from_environment", "create_app", "session_secret"]

_DESCRIPTION = """\
Tanbo's API for farmers, drone operators, pharmacies and city staff.

Authenticate with a bearer token: people log in through the city identity
(`GET /auth/login`, the My Number card login over OpenID Connect); machine clients use
OAuth2 client credentials (`POST /auth/token`). Errors are RFC 9457 problem documents
(`application/problem+json`). Lists are paged (`limit`, `offset`; the answer carries
`count`). Updates need `If-Match` with the ETag of the version read.
"""


def session_secret(settings: Settings) -> str:
    """The key that signs login cookies: ``TANBO_SESSION_SECRET``, else a key file kept
    in the data directory (made on first use, readable by its owner only)."""
    if settings.session_secret:
        return settings.session_secret
    path: Path = settings.data_dir / "session.key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:  # made once, whole, by whichever process comes first
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        for _ in range(50):  # another process is writing it: wait for the whole key
            if key := path.read_text().strip():
                return key
            time.sleep(0.02)
        raise ConfigError(f"{path} is empty; delete it and start again") from None
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(32))
    return path.read_text().strip()


def app_from_environment() -> FastAPI:
    """The app from the settings alone (``TANBO_*``, the TOML file), scheduler included:
    what each worker process of ``tanbo serve --workers N`` builds."""
    return create_app(load_settings(), background=True)


def _delivery_notifier(services: Services) -> Notifier:
    """Stored notifications, and the webhook too when one is configured."""
    stored = StoredNotifier(services.engine, clock=services.clock)
    s = services.settings
    if not s.notify_webhook_url:
        return stored
    if not s.notify_webhook_secret:
        raise ConfigError("notify_webhook_url needs notify_webhook_secret to sign with")
    webhook = WebhookNotifier(s.notify_webhook_url, s.notify_webhook_secret, clock=services.clock)
    services.closing.append(webhook.close)
    return FanOutNotifier([stored, webhook])


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    clock: Clock | None = None,
    identity: Any = None,
    migrate_schema: bool = True,
    background: bool = False,
) -> FastAPI:
    """The API app on ``settings`` (database, identity provider, …).

    ``engine``, ``clock`` and ``identity`` may be given (tests, several apps on one
    database); otherwise they are built from the settings. With ``background`` the app
    also runs the scheduler and flies its missions while it serves (``tanbo serve``).
    """
    if engine is None:
        engine = connect(settings.resolved_database_url)
    if migrate_schema:
        migrate(engine)
    if identity is None and settings.oidc_issuer:
        identity = OidcClient(settings.oidc_config())
    services = Services(
        settings=settings,
        engine=engine,
        clock=clock or SystemClock(),
        identity=identity,
        extras={"session_secret": session_secret(settings)},
    )
    services.extras["ledger"] = ledger_for(services)
    services.extras["webhooks"] = webhook_verifier_for(services)
    services.extras["deliveries"] = DeliveryService(
        engine=engine,
        clock=services.clock,
        ledger=services.extras["ledger"],
        pricing=PricingConfig(
            spraying_yen_per_ha=settings.spraying_yen_per_ha,
            delivery_base_yen=settings.delivery_base_yen,
            delivery_yen_per_km=settings.delivery_yen_per_km,
        ),
        notifier=_delivery_notifier(services),
        points_per_delivery=settings.delivery_points,
        # Deliveries are held by the configured weather record only: the generated sample
        # covers the demo's days, and outside them it would hold every hour.
        weather=RecordedWeather.read(settings.weather_file) if settings.weather_file else None,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        running = Background(services) if background else None
        if running is not None:
            running.start()
        try:
            yield
        finally:
            if running is not None:
                running.stop()
            for close in services.closing:
                close()
            if services.identity is not None:
                services.identity.close()

    app = FastAPI(
        lifespan=lifespan,
        title="Tanbo",
        version="0.1.0",
        summary="Smart agriculture and drone operations: fields, missions, fleets, water.",
        description=_DESCRIPTION,
    )
    app.state.services = services
    install_problem_handlers(app)
    for router in (
        auth.router,
        auth.accounts_router,
        fields.router,
        zones.router,
        plans.router,
        missions.router,
        mission_plan.router,
        missions.notifications_router,
        live.router,
        fleet_status.router,
        billing.router,
        vehicles.router,
        vehicles.logs_router,
        paddies.router,
        paddy_state.router,
        water_devices.router,
        water_devices.readings_router,
        water_warnings.router,
        images.router,
        field_agronomy.router,
        field_forecast.router,
        prescriptions.router,
        deliveries.router,
        delivery_proof.router,
        delivery_places.depots_router,
        delivery_places.drop_points_router,
        delivery_places.vehicles_router,
        city.router,
        open_data.router,
        console_settings.router,
    ):
        app.include_router(router)
    mount_console(app)
    return app

"""Settings: the only module that reads the environment.

Sources, strongest first: arguments given in code (the CLI's flags), ``TANBO_*``
environment variables, a TOML file (``TANBO_CONFIG``, else ``./tanbo.toml`` if
present), then the defaults. Everything Tanbo writes goes under ``data_dir``.
"""

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit

import platformdirs
from pydantic import Field, ValidationError, field_validator
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from api.errors import ConfigError
from api.identity import OidcConfig
from fields import DEFAULT_BUFFERS_M, ImportOptions, SizeRules, ZoneKind

if TYPE_CHECKING:  # the MQTT client is imported only by the commands that use it
    from irrigation.mqtt import MqttSettings

__all__ = ["Settings", "load_settings"]


def _default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("tanbo", appauthor=False))


class Settings(BaseSettings):
    """Tanbo's settings, typed and validated."""

    model_config = SettingsConfigDict(env_prefix="TANBO_", extra="forbid", frozen=True)

    data_dir: Path = Field(default_factory=_default_data_dir)
    """Where Tanbo keeps its database and exports."""
    database_url: str | None = None
    """SQLAlchemy URL; default a SQLite file in ``data_dir``. ``postgresql://…`` for PostgreSQL."""
    default_owner: str = "unassigned"
    min_field_area_m2: float = Field(default=1.0, ge=0)
    max_field_area_ha: float = Field(default=1_000.0, gt=0)
    overlap_tolerance_m2: float = Field(default=1.0, ge=0)
    overlap_tolerance_ratio: float = Field(default=0.01, ge=0, le=1)
    swap_within_km: float = Field(default=100.0, gt=0)
    zone_buffers_m: dict[ZoneKind, float] = Field(default_factory=dict)
    """Buffer per zone kind, over the defaults (``[zone_buffers_m] house = 15``)."""
    public_url: str = "http://127.0.0.1:8000"
    """Where browsers reach ``tanbo serve``; the OpenID callback is under it."""
    token_ttl_h: float = Field(default=8.0, gt=0, le=24 * 30)
    """How long an access token from a login lasts (hours)."""
    oidc_issuer: str | None = None
    """The city identity provider (OpenID Connect issuer URL); None = no login."""
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    session_secret: str | None = None
    """Signs login cookies; default a key file in ``data_dir`` (set it when several
    machines serve the API)."""
    first_login_roles: tuple[str, ...] = ("farmer",)
    """Roles a person gets on first login through the city identity."""
    pilot_name: str = "Tanbo operator"
    """The pilot named in the flight logs of missions the scheduler flies."""
    weather_file: Path | None = None
    """Recorded hourly weather for spraying holds; default the generated Kasai sample."""
    scheduler_tick_s: float = Field(default=30.0, gt=0)
    """How often the scheduler books, re-checks the weather and dispatches, s."""
    fleet_watch: bool = True
    """Keep every registered vehicle with a connection linked, for the operators' live map
    (the process that flies the fleet does; a vehicle then takes no other connection)."""
    currency_url: str | None = None
    """The city currency platform (or ``tanbo currency-sandbox``); None: nothing is charged."""
    currency_api_key: str | None = None
    currency_webhook_secrets: tuple[str, ...] = ()
    """Secrets the platform signs its webhooks with (several while one is rotated)."""
    currency_reconcile_s: float = Field(default=3600.0, gt=0)
    """How often pending charges are finished and the ledger reconciled, s."""
    spraying_yen_per_ha: int = Field(default=20_000, ge=0)
    delivery_base_yen: int = Field(default=500, ge=0)
    """A drone delivery's fee: this, plus ``delivery_yen_per_km`` of the planned route."""
    delivery_yen_per_km: int = Field(default=100, ge=0)
    notify_webhook_url: str | None = None
    """Notices (deliveries' codes and steps) also posted here, signed (the city app, an SMS
    or LINE bridge); None: stored notifications only."""
    notify_webhook_secret: str | None = Field(default=None, repr=False)
    delivery_points: int = Field(default=0, ge=0)
    """City-currency points granted to a resident who confirms a delivery (0: none)."""
    pesticide_baseline_l_ha: float | None = Field(default=None, gt=0)
    """The usual dose a lower one earns points against; None: no points."""
    mqtt_url: str | None = None
    """The sensors' and gates' broker (``mqtt://user:pass@host:1883``); None: readings over
    HTTP only and gates in process (the embedded default)."""
    mqtt_client_id: str = "tanbo"
    mqtt_topic_prefix: str = "tanbo"
    """Topics are ``<prefix>/<farm>/<paddy>/<device>/<metric>``."""
    mqtt_session_expiry_s: int = Field(default=7 * 24 * 3600, gt=0)
    """How long the broker keeps Tanbo's sessions (and queues readings) while it is away."""
    irrigation_tick_s: float = Field(default=60.0, gt=0)
    """How often the paddy-water controller ticks, s."""
    heavy_rain_mm_24h: float = Field(default=80.0, gt=0)
    """Forecast rain over 24 h that puts paddies in 田んぼダム mode where no warning is
    declared (city staff declare warnings through ``POST /water-warnings``)."""
    weather_place: tuple[float, float] = (34.928, 134.841)
    """Where paddies' forecasts are asked for, lat, lon (default Kasai city hall)."""
    irrigation_webhook_url: str | None = None
    """Where paddy alerts are also posted as JSON (the city app's webhook); None: only the
    farmer's notifications."""
    city_broker_url: str | None = None
    """The city data platform's NGSI-LD context broker (``http://host:1026``, the part before
    ``/ngsi-ld/v1``) that ``tanbo city publish`` sends entities to; None: dry runs only."""
    city_id_prefix: str = Field(default="tanbo", pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
    """The city's segment of every published entity id (``urn:ngsi-ld:AgriParcel:<prefix>:<field
    id>``): a municipality code or the city's name; Tanbo owns the ids under it on the broker."""
    city_broker_tenant: str | None = None
    """The broker's tenant for Tanbo's entities (the ``NGSILD-Tenant`` header); None: the
    default tenant."""
    city_broker_token: str | None = None
    """A bearer token the broker (or the API gateway before it) asks for; None: none sent."""
    city_publish_every_min: float | None = Field(default=None, gt=0)
    """``tanbo serve`` publishes to the broker this often (the process that leads the
    scheduler); None: only ``tanbo city publish`` does."""

    # The city's view: the dashboard and the open data (GET /city/dashboard, /open-data).
    districts_file: Path | None = None
    """The city's districts (大字・地区) as GeoJSON polygons in lon/lat, each with a ``name``
    (or e-Stat's ``S_NAME``) property: the city's figures are grouped by them (a field by its
    centroid); None: by the fields' municipality codes."""
    open_data_min_group: int = Field(default=3, ge=2)
    """Open data leaves blank any figure made from fewer distinct farmers or recipients."""
    continuous_flooding_mm_day: float | None = Field(default=None, gt=0, le=200)
    """減水深: the water a continuously flooded paddy loses a day (evapotranspiration and
    percolation, mm/day; the city's or land improvement district's planning figure), which
    the water saved by the paddies' control is counted against; None: no saving is given."""

    # The console's map: a plain style of its own; an online basemap only if configured.
    map_tiles_url: str | None = None
    """An XYZ raster tile source drawn under the console's map, e.g. 地理院タイル
    ``https://cyberjapandata.gsi.go.jp/xyz/std/{z}/{x}/{y}.png``; None: no tiles, nothing
    fetched from outside (the console works offline)."""
    map_tiles_attribution: str = ""
    """Shown on the map with the tiles (the source's terms ask for it: 「地理院タイル」)."""

    @field_validator("map_tiles_url")
    @classmethod
    def _tiles_template(cls, value: str | None) -> str | None:
        if value is None:
            return value
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL")
        missing = [p for p in ("{z}", "{x}", "{y}") if p not in value]
        if missing:
            raise ValueError(f"must hold {', '.join(missing)} (an XYZ tile template)")
        return value

    @field_validator("zone_buffers_m")
    @classmethod
    def _buffers_not_negative(cls, value: dict[ZoneKind, float]) -> dict[ZoneKind, float]:
        for kind, buffer in value.items():
            if buffer < 0:
                raise ValueError(f"buffer for {kind.value} is negative")
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        named = os.environ.get("TANBO_CONFIG")
        toml_file = Path(named) if named else Path("tanbo.toml")
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file.is_file():
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        elif named:
            raise ConfigError(f"TANBO_CONFIG names {named}, which is not a file")
        return tuple(sources)

    @property
    def resolved_database_url(self) -> str:
        """The database URL, the SQLite default filled in."""
        return self.database_url or f"sqlite:///{self.data_dir / 'tanbo.db'}"

    @property
    def buffers_m(self) -> dict[ZoneKind, float]:
        """The buffer of every zone kind, defaults overridden by the settings."""
        return {**DEFAULT_BUFFERS_M, **self.zone_buffers_m}

    def oidc_config(self) -> OidcConfig:
        """The city identity's OpenID Connect settings; the callback is under ``public_url``.

        Raises
        ------
        ConfigError
            No issuer or client id, or values the identity client refuses.
        """
        if not self.oidc_issuer or not self.oidc_client_id:
            raise ConfigError("login needs oidc_issuer and oidc_client_id")
        try:
            return OidcConfig(
                issuer=self.oidc_issuer,
                client_id=self.oidc_client_id,
                client_secret=self.oidc_client_secret,
                redirect_uri=self.public_url.rstrip("/") + "/auth/callback",
            )
        except ValueError as exc:
            raise ConfigError(f"setting oidc: {exc}") from exc

    def mqtt_settings(self) -> "MqttSettings | None":
        """The broker's settings from ``mqtt_url``; None without one.

        Raises
        ------
        ConfigError
            ``mqtt_url`` is not an ``mqtt://`` URL with a host.
        """
        if not self.mqtt_url:
            return None
        from irrigation.mqtt import MqttSettings

        url = urlsplit(self.mqtt_url)
        if url.scheme not in ("mqtt", "tcp") or not url.hostname:
            raise ConfigError(f"setting mqtt_url: {self.mqtt_url!r} is not mqtt://host[:port]")
        try:
            return MqttSettings(
                host=url.hostname,
                port=url.port or 1883,
                client_id=self.mqtt_client_id,
                topic_prefix=self.mqtt_topic_prefix,
                session_expiry_s=self.mqtt_session_expiry_s,
                username=unquote(url.username) if url.username else None,
                password=unquote(url.password) if url.password else None,
            )
        except ValueError as exc:
            raise ConfigError(f"setting mqtt_url: {exc}") from exc

    def import_options(self, **given: Any) -> ImportOptions:
        """Field import options: these settings plus what the caller gives."""
        return ImportOptions(
            default_owner=self.default_owner,
            rules=SizeRules(
                min_area_m2=self.min_field_area_m2,
                max_area_m2=self.max_field_area_ha * 10_000.0,
            ),
            overlap_tolerance_m2=self.overlap_tolerance_m2,
            overlap_tolerance_ratio=self.overlap_tolerance_ratio,
            swap_within_km=self.swap_within_km,
            **given,
        )


def load_settings(**overrides: Any) -> Settings:
    """Read the settings; a bad value becomes a ``ConfigError`` naming it.

    Raises
    ------
    ConfigError
        A value that does not validate, or ``TANBO_CONFIG`` naming no file.
    """
    given = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "settings"
        raise ConfigError(f"setting {where}: {first['msg']}") from exc

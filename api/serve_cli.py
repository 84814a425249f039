"""``tanbo serve`` (the HTTP API) and ``tanbo accounts`` (staff set-up without a browser)."""

import os
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from api import accounts
from api.accounts import Role
from api.console import out, state_of

__all__ = ["accounts_app", "serve"]

accounts_app = typer.Typer(
    help="Accounts and API clients (first staff account, machine clients).", no_args_is_help=True
)


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="TCP port.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
) -> None:
    """Run the HTTP API (OpenAPI at /docs), the mission scheduler and the fleet dispatcher."""
    import uvicorn

    from api.app import create_app

    state = state_of(ctx)
    settings = state.settings
    state.db()  # migrated once here, before any worker starts
    database = escape(settings.resolved_database_url)
    out.print(f"Tanbo API on http://{host}:{port} (docs at /docs); database {database}")
    if workers == 1:
        app = create_app(settings, background=True)
        uvicorn.run(app, host=host, port=port, log_level="info")
        return
    # Each worker builds its own app from the environment: pass on what the flags said.
    os.environ["TANBO_DATA_DIR"] = str(settings.data_dir)
    os.environ["TANBO_DATABASE_URL"] = settings.resolved_database_url
    uvicorn.run(
        "api.app:app_from_environment",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        # A worker imports the whole service (geospatial stack, OR-tools, AquaCrop) before it
        # answers the supervisor's ping: seconds on a loaded machine, over uvicorn's default
        # 5 s, which kills and restarts it for ever.
        timeout_worker_healthcheck=120,
    )


def _roles(values: list[str]) -> list[Role]:
    known = ", ".join(r.value for r in Role)
    try:
        return [Role(v) for v in values]
    except ValueError as exc:
        raise typer.BadParameter(f"roles are {known}") from exc


@accounts_app.command("add")
def add(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Display name.")],
    role: Annotated[list[str], typer.Option(help="farmer, operator, pharmacy or city_admin.")],
    token: Annotated[bool, typer.Option(help="Also print an access token for it.")] = False,
) -> None:
    """Create a local account (e.g. the first city_admin) and optionally a token."""
    engine = state_of(ctx).db()
    account = accounts.create_account(engine, display_name=name, roles=_roles(role))
    out.print(f"account {account.id} ({escape(name)}): {', '.join(sorted(account.roles))}")
    if token:
        issued = accounts.issue_token(engine, account.id)
        out.print(f"token {issued.access_token} (until {issued.expires_at:%Y-%m-%d %H:%M} UTC)")


@accounts_app.command("list")
def list_(ctx: typer.Context) -> None:
    """Every account with its roles."""
    rows, _ = accounts.list_accounts(state_of(ctx).db(), limit=10_000)
    table = Table("id", "name", "roles", "verified", "disabled")
    for a in rows:
        table.add_row(
            a.id,
            escape(a.display_name),
            ", ".join(sorted(a.roles)),
            "yes" if a.verified_name else "",
            "yes" if a.disabled else "",
        )
    out.print(table)


@accounts_app.command("client")
def client(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(help="The account the client acts for.")],
    name: Annotated[str, typer.Option(help="What the client is, e.g. the pharmacy's system.")],
) -> None:
    """Register a machine client (OAuth2 client credentials); the secret is shown once."""
    client_id, secret = accounts.register_client(state_of(ctx).db(), account_id, name=name)
    out.print(f"client_id {client_id}\nclient_secret {secret}")

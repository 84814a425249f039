"""``tanbo city``: the city data platform — publish Tanbo's data as NGSI-LD entities of
the FIWARE Smart Data Models, and record a person's consent to publishing theirs."""

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from api.accounts import grant_city_data_consent, withdraw_city_data_consent
from api.city_platform import (
    BrokerError,
    ContextBroker,
    EntityIds,
    PublishReport,
    RecordingBroker,
    publish,
)
from api.city_platform.scheduled import http_broker
from api.console import err, out, state_of
from api.errors import ConfigError

__all__ = ["city_app"]

city_app = typer.Typer(
    help="The city data platform: publish fields, paddy water, devices, drones and "
    "deliveries as NGSI-LD Smart Data Models; consent to publishing personal data.",
    no_args_is_help=True,
)


def _print(report: PublishReport, where: str) -> None:
    verb = "would send" if report.dry_run else "sent"
    types = ", ".join(f"{t} {n}" for t, n in report.sent_types.items()) or "nothing"
    out.print(f"{escape(where)}: {verb} {len(report.sent)} entities ({escape(types)}): "
              f"{len(report.new)} new, {len(report.already_published)} already published; "
              f"digest {report.digest[:16]}")  # fmt: skip
    if report.skipped:
        counts = ", ".join(f"{n} {reason}" for reason, n in report.skipped_counts().items())
        out.print(f"skipped {len(report.skipped)}: {counts}")
    for removed in report.removed:
        out.print(f"{'would delete' if report.dry_run else 'deleted'} "
                  f"{escape(removed.entity_id)}: {escape(removed.reason)}")  # fmt: skip
    for refused in report.refused:
        err.print(f"refused {escape(refused.entity_type)} {escape(refused.entity_id)}: "
                  f"{escape(refused.reason)}")  # fmt: skip


@city_app.command("publish")
def publish_command(
    ctx: typer.Context,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Build and check everything; send nothing to the broker."),
    ] = False,
    out_file: Annotated[
        Path | None,
        typer.Option(
            "--out",
            metavar="FILE.jsonl",
            help="Also record every request (one JSON line each); with --dry-run, "
            "the file's earlier requests stand for the broker.",
        ),
    ] = None,
) -> None:
    """Publish to the city's context broker: consented personal data, all non-personal data.

    The broker is the setting city_broker_url. Entities are upserted; those of a withdrawn
    consent, and those gone from Tanbo, are deleted. An entity its Smart Data Model refuses
    gets one line on standard error and the exit code is 2; the others are published.
    """
    state = state_of(ctx)
    settings = state.settings
    ids = EntityIds(prefix=settings.city_id_prefix)
    if not dry_run and not settings.city_broker_url:
        raise ConfigError(
            "set city_broker_url (TANBO_CITY_BROKER_URL) to the city's NGSI-LD broker, "
            "or use --dry-run"
        )
    engine = state.db()
    http = None if dry_run else http_broker(settings)
    broker: ContextBroker = (
        RecordingBroker(out_file, forward_to=http) if out_file or http is None else http
    )
    where = (
        str(settings.city_broker_url)
        if http
        else "dry run" + (f" ({out_file})" if out_file else "")
    )
    try:
        report = publish(engine, broker, ids=ids, dry_run=dry_run)
    except BrokerError as exc:
        err.print(f"tanbo: {escape(str(exc))}")
        raise typer.Exit(1) from exc
    finally:
        if http is not None:
            http.close()
    _print(report, where)
    if report.refused:
        raise typer.Exit(2)


@city_app.command("consent")
def consent_command(
    ctx: typer.Context,
    account_id: Annotated[str, typer.Argument(metavar="ACCOUNT_ID")],
    grant: Annotated[
        bool,
        typer.Option(
            "--grant/--withdraw",
            help="Grant, or withdraw, consent to publishing this person's data.",
        ),
    ],
) -> None:
    """Grant or withdraw a person's consent to publishing their personal data.

    Personal data: their fields, paddy records and measurements, and deliveries to them. A
    withdrawal deletes them from the broker at the next publish.
    """
    engine = state_of(ctx).db()
    if grant:
        account = grant_city_data_consent(engine, account_id)
        since = account.city_data_consent_at
        out.print(f"{escape(account.id)} ({escape(account.display_name)}): consents since "
                  f"{since.isoformat(timespec='seconds') if since else '?'}")  # fmt: skip
    else:
        account = withdraw_city_data_consent(engine, account_id)
        out.print(f"{escape(account.id)} ({escape(account.display_name)}): no consent; "
                  "their entities are deleted at the next publish")  # fmt: skip

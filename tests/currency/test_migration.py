"""Migration 0005 builds exactly the ledger tables the models describe, and goes down again."""

from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect
from sqlmodel import SQLModel

import api.db
from api.currency import CurrencyEntryRow, CurrencyWebhookEventRow
from api.db import migrate

TABLES = {CurrencyEntryRow.__tablename__, CurrencyWebhookEventRow.__tablename__}


def _ours(diff: Any) -> bool:
    """Whether an autogenerate difference touches the ledger's tables."""
    items = diff if isinstance(diff, list) else [diff]
    for item in items:
        for part in item:
            name = getattr(part, "name", None) if not isinstance(part, str) else part
            table = getattr(part, "table", None)
            if name in TABLES or getattr(table, "name", None) in TABLES:
                return True
    return False


def test_the_ledger_tables_match_the_models(engine: Engine) -> None:
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    assert [d for d in diffs if _ours(d)] == []
    assert set(inspect(engine).get_table_names()) >= TABLES


def test_migration_0005_goes_down_and_up_again(engine: Engine) -> None:
    config = Config()
    config.set_main_option("script_location", str(Path(api.db.__file__).with_name("migrations")))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0004")
    assert TABLES.isdisjoint(inspect(engine).get_table_names())
    migrate(engine)
    assert set(inspect(engine).get_table_names()) >= TABLES

"""The migrations build exactly the tables the models describe, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine
from sqlmodel import SQLModel

import api.tables


def test_migrated_schema_matches_the_models(engine: Engine) -> None:
    assert {"account", "field", "mission"} <= set(SQLModel.metadata.tables)
    assert api.tables.MODULES
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    ours = set(SQLModel.metadata.tables)
    relevant = [d for d in diffs if not (d[0] == "remove_table" and d[1].name not in ours)]
    assert relevant == []

"""Alembic's environment: migrations run on the connection ``api.db.migrate`` hands over."""

from alembic import context
from sqlmodel import SQLModel

import api.tables  # noqa: F401  (registers every table on the metadata)

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through api.db.migrate (or `tanbo db upgrade`)")
context.configure(
    connection=connection,
    target_metadata=SQLModel.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()

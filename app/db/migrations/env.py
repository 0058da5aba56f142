"""Alembic environment: runs on the connection handed over by app.db.migrate.upgrade."""

from __future__ import annotations

from alembic import context
from sqlmodel import SQLModel

import app.db.tables  # noqa: F401  (registers the tables on the metadata)

target_metadata = SQLModel.metadata
connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations through `python -m app.db.migrate`")

context.configure(
    connection=connection,
    target_metadata=target_metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()

"""Alembic environment: annotask runs migrations on a connection it already holds."""

from __future__ import annotations

from alembic import context

from annotask.store.schema import metadata

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("annotask migrations run through annotask.store.migrate, not alembic's CLI")

context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()

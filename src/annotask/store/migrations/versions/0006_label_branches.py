"""label branches: a data item's label rows keyed by branch, every existing row on main

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import annotask.store.schema

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_OLD_KEY = "uq_label_rows_project_uuid_data_hash"
_NEW_KEY = "uq_label_rows_project_uuid_data_hash_branch_name"
_COLUMNS = "uuid, project_uuid, data_hash, version, labels, updated_at"
_VERSION_COLUMNS = "label_hash, version, labels, saved_by, saved_at, workflow_stage"


def _label_rows(*, branches: bool) -> None:
    """Create label_rows as it is with (or before) label branches."""
    key = ("project_uuid", "data_hash", *(("branch_name",) if branches else ()))
    extra = (
        [sa.Column("branch_name", sa.String(length=200), nullable=False, server_default="main")]
        if branches
        else []
    )
    op.create_table(
        "label_rows",
        sa.Column("uuid", sa.String(length=36), nullable=False),
        sa.Column("project_uuid", sa.String(length=36), nullable=False),
        sa.Column("data_hash", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=True),
        sa.Column("updated_at", annotask.store.schema.UTCDateTime(), nullable=False),
        *extra,
        sa.ForeignKeyConstraint(
            ["data_hash"], ["storage_items.uuid"], name="fk_label_rows_data_hash_storage_items"
        ),
        sa.ForeignKeyConstraint(
            ["project_uuid"], ["projects.uuid"], name="fk_label_rows_project_uuid_projects"
        ),
        sa.PrimaryKeyConstraint("uuid", name="pk_label_rows"),
        sa.UniqueConstraint(*key, name=_NEW_KEY if branches else _OLD_KEY),
    )


def _label_row_versions() -> None:
    op.create_table(
        "label_row_versions",
        sa.Column("label_hash", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("saved_by", sa.String(length=200), nullable=False),
        sa.Column("saved_at", annotask.store.schema.UTCDateTime(), nullable=False),
        sa.Column("workflow_stage", sa.String(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["label_hash"], ["label_rows.uuid"], name="fk_label_row_versions_label_hash_label_rows"
        ),
        sa.PrimaryKeyConstraint("label_hash", "version", name="pk_label_row_versions"),
    )


def _rebuild_sqlite(*, branches: bool) -> None:
    """SQLite cannot drop a unique constraint: label_rows is rebuilt, and with it
    label_row_versions (whose references follow a renamed table). Both old tables are
    renamed aside, the new ones made and filled, the old ones dropped child first, so no
    row is ever orphaned while foreign keys are checked."""
    op.rename_table("label_row_versions", "_label_row_versions_0006")
    op.rename_table("label_rows", "_label_rows_0006")
    _label_rows(branches=branches)
    where = "" if branches else " WHERE branch_name = 'main'"
    op.execute(
        f"INSERT INTO label_rows ({_COLUMNS}) SELECT {_COLUMNS} FROM _label_rows_0006{where}"
    )
    _label_row_versions()
    op.execute(
        f"INSERT INTO label_row_versions ({_VERSION_COLUMNS}) "
        f"SELECT {_VERSION_COLUMNS} FROM _label_row_versions_0006 "
        "WHERE label_hash IN (SELECT uuid FROM label_rows)"
    )
    op.drop_table("_label_row_versions_0006")
    op.drop_table("_label_rows_0006")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(branches=True)
        return
    op.add_column(
        "label_rows",
        sa.Column("branch_name", sa.String(length=200), nullable=False, server_default="main"),
    )
    op.drop_constraint(_OLD_KEY, "label_rows", type_="unique")
    op.create_unique_constraint(
        _NEW_KEY, "label_rows", ["project_uuid", "data_hash", "branch_name"]
    )


def downgrade() -> None:
    # Rows on branches other than main (and their versions) cannot survive the old key.
    op.execute(
        "DELETE FROM label_row_versions WHERE label_hash IN "
        "(SELECT uuid FROM label_rows WHERE branch_name <> 'main')"
    )
    if op.get_bind().dialect.name == "sqlite":
        _rebuild_sqlite(branches=False)
        return
    op.execute("DELETE FROM label_rows WHERE branch_name <> 'main'")
    op.drop_constraint(_NEW_KEY, "label_rows", type_="unique")
    op.create_unique_constraint(_OLD_KEY, "label_rows", ["project_uuid", "data_hash"])
    op.drop_column("label_rows", "branch_name")

"""record which agent (and version) decided a task event

Revision ID: 0005
Revises: 0002
Create Date: 2026-12-01 15:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("agent_name", sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column("agent_version", sa.String(length=100), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("task_events", schema=None) as batch_op:
        batch_op.drop_column("agent_version")
        batch_op.drop_column("agent_name")

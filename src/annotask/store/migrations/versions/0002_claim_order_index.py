"""index tasks in the order runners claim them

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 08:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.drop_index("ix_tasks_stage_uuid_priority")
    op.create_index(
        "ix_tasks_claim_order",
        "tasks",
        ["stage_uuid", sa.text("priority DESC"), "created_at", "uuid"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_tasks_claim_order", table_name="tasks")
    with op.batch_alter_table("tasks", schema=None) as batch_op:
        batch_op.create_index(
            "ix_tasks_stage_uuid_priority", ["stage_uuid", "priority"], unique=False
        )

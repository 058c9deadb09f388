"""The annotask schema: every table, as SQLAlchemy Core metadata.

Migrations under ``migrations/versions`` create exactly this; a test compares the two.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "UTCDateTime",
    "credentials",
    "datasets",
    "label_row_versions",
    "label_rows",
    "members",
    "metadata",
    "ontologies",
    "pathways",
    "project_datasets",
    "projects",
    "stages",
    "storage_items",
    "task_events",
    "tasks",
    "users",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """Timestamps stored as naive UTC and read back as aware UTC, on every backend."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {value!r}")
        return value.replace(tzinfo=UTC)

    def result_processor(self, dialect: Dialect, coltype: object) -> Any:
        """On SQLite, the stored text read straight to an aware datetime, remembered: rows
        made together (a project's tasks, a batch of items) share their timestamps."""
        general = super().result_processor(dialect, coltype)
        if dialect.name != "sqlite" or general is None:
            return general

        def process(value: Any) -> datetime | None:
            if value is None:
                return None
            try:
                return _sqlite_text_utc(value)
            except (TypeError, ValueError):  # not text as SQLAlchemy writes it
                return general(value)

        return process


@lru_cache(maxsize=4096)
def _sqlite_text_utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def _uuid(name: str, *args: Any, **kwargs: Any) -> Column[str]:
    return Column(name, String(36), *args, **kwargs)


users = Table(
    "users",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("is_admin", Boolean, nullable=False, default=False, server_default="0"),
)

# API tokens and browser sessions: only a SHA-256 of the secret is kept.
credentials = Table(
    "credentials",
    metadata,
    _uuid("id", primary_key=True),
    Column("user_name", String(200), ForeignKey("users.name"), nullable=False),
    Column("kind", String(10), nullable=False),
    Column("name", String(200), nullable=False),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("expires_at", Float, nullable=True),
    Column("last_used_at", UTCDateTime, nullable=True),
    Index(None, "user_name"),
)

members = Table(
    "members",
    metadata,
    _uuid("resource_uuid", primary_key=True),
    Column("user_name", String(200), ForeignKey("users.name"), primary_key=True),
    Column("resource_type", String(20), nullable=False),
    Column("role", String(20), nullable=False),
    Index(None, "user_name"),
)

datasets = Table(
    "datasets",
    metadata,
    _uuid("uuid", primary_key=True),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Index(None, "title"),
)

storage_items = Table(
    "storage_items",
    metadata,
    _uuid("uuid", primary_key=True),
    _uuid("dataset_uuid", ForeignKey("datasets.uuid"), nullable=False),
    Column("name", String(1000), nullable=False),
    Column("uri", Text, nullable=False),
    Column("data_type", String(30), nullable=False),
    Column("mime_type", String(200), nullable=False),
    Column("file_size", Integer, nullable=True),
    Column("properties", JSON, nullable=False),
    Column("client_metadata", JSON, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index(None, "dataset_uuid"),
)

ontologies = Table(
    "ontologies",
    metadata,
    _uuid("uuid", primary_key=True),
    Column("title", String(500), nullable=False),
    Column("structure", JSON, nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

projects = Table(
    "projects",
    metadata,
    _uuid("uuid", primary_key=True),
    Column("title", String(500), nullable=False),
    Column("description", Text, nullable=False, default=""),
    _uuid("ontology_uuid", ForeignKey("ontologies.uuid"), nullable=False),
    _uuid("start_stage_uuid", nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

project_datasets = Table(
    "project_datasets",
    metadata,
    _uuid("project_uuid", ForeignKey("projects.uuid"), primary_key=True),
    _uuid("dataset_uuid", ForeignKey("datasets.uuid"), primary_key=True),
    Index(None, "dataset_uuid"),
)

stages = Table(
    "stages",
    metadata,
    _uuid("uuid", primary_key=True),
    _uuid("project_uuid", ForeignKey("projects.uuid"), nullable=False),
    Column("name", String(500), nullable=False),
    Column("stage_type", String(20), nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("project_uuid", "name"),
)

pathways = Table(
    "pathways",
    metadata,
    _uuid("uuid", primary_key=True),
    _uuid("stage_uuid", ForeignKey("stages.uuid"), nullable=False),
    Column("name", String(500), nullable=False),
    _uuid("destination_uuid", ForeignKey("stages.uuid"), nullable=False),
    Column("position", Integer, nullable=False),
    UniqueConstraint("stage_uuid", "name"),
)

tasks = Table(
    "tasks",
    metadata,
    _uuid("uuid", primary_key=True),
    _uuid("project_uuid", ForeignKey("projects.uuid"), nullable=False),
    _uuid("stage_uuid", ForeignKey("stages.uuid"), nullable=False),
    _uuid("data_hash", ForeignKey("storage_items.uuid"), nullable=False),
    _uuid("label_hash", nullable=False),
    Column("status", String(20), nullable=False),
    Column("assignee", String(200), nullable=True),
    Column("priority", Float, nullable=False, default=0.5),
    Column("lease_owner", String(200), nullable=True),
    Column("lease_token", Integer, nullable=False, default=0),
    Column("lease_expires_at", Float, nullable=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text, nullable=True),
    Column("retry_after", Float, nullable=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Column("last_actioned_by", String(200), nullable=True),
    UniqueConstraint("project_uuid", "data_hash"),
    Index(None, "label_hash"),  # label rows join their task by it
)
# The order runners claim in: a claim walks this index and stops after its batch.
Index(
    "ix_tasks_claim_order",
    tasks.c.stage_uuid,
    tasks.c.priority.desc(),
    tasks.c.created_at,
    tasks.c.uuid,
)

label_rows = Table(
    "label_rows",
    metadata,
    _uuid("uuid", primary_key=True),
    _uuid("project_uuid", ForeignKey("projects.uuid"), nullable=False),
    _uuid("data_hash", ForeignKey("storage_items.uuid"), nullable=False),
    Column("version", Integer, nullable=False, default=0),
    Column("labels", JSON, nullable=True),
    Column("updated_at", UTCDateTime, nullable=False),
    # Every data item has a row on "main"; rows on other label branches are made on first use.
    Column("branch_name", String(200), nullable=False, default="main", server_default="main"),
    UniqueConstraint("project_uuid", "data_hash", "branch_name"),
)

label_row_versions = Table(
    "label_row_versions",
    metadata,
    _uuid("label_hash", ForeignKey("label_rows.uuid"), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("labels", JSON, nullable=False),
    Column("saved_by", String(200), nullable=False),
    Column("saved_at", UTCDateTime, nullable=False),
    Column("workflow_stage", String(500), nullable=True),
)

task_events = Table(
    "task_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _uuid("task_uuid", ForeignKey("tasks.uuid"), nullable=False),
    _uuid("project_uuid", nullable=False),
    Column("action", String(30), nullable=False),
    _uuid("from_stage_uuid", nullable=True),
    _uuid("to_stage_uuid", nullable=True),
    _uuid("pathway_uuid", nullable=True),
    Column("pathway_name", String(500), nullable=True),
    Column("actor", String(200), nullable=False),
    Column("at", UTCDateTime, nullable=False),
    Column("detail", Text, nullable=True),
    Column("agent_name", String(500), nullable=True),
    Column("agent_version", String(100), nullable=True),
    Index(None, "task_uuid"),
    Index(None, "project_uuid", "id"),
)

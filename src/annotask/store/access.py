"""Users and memberships: who may read or change a project or dataset."""

from __future__ import annotations

from sqlalchemy import Connection, delete, insert, select

from annotask.store.clock import utcnow
from annotask.store.schema import members, users

__all__ = [
    "add_member",
    "ensure_user",
    "list_members",
    "member_resources",
    "remove_member",
    "role_of",
]


def ensure_user(conn: Connection, name: str) -> None:
    """Create the user ``name`` unless it exists."""
    if conn.execute(select(users.c.name).where(users.c.name == name)).first() is None:
        conn.execute(insert(users).values(name=name, created_at=utcnow()))


def role_of(conn: Connection, resource_uuid: str, user: str) -> str | None:
    """The user's role on a project or dataset, or None when not a member."""
    row = conn.execute(
        select(members.c.role).where(
            members.c.resource_uuid == resource_uuid, members.c.user_name == user
        )
    ).first()
    return None if row is None else str(row.role)


def add_member(
    conn: Connection, resource_uuid: str, resource_type: str, user: str, role: str
) -> None:
    """Make ``user`` a member of the resource with ``role``, replacing an earlier role."""
    ensure_user(conn, user)
    remove_member(conn, resource_uuid, user)
    conn.execute(
        insert(members).values(
            resource_uuid=resource_uuid, resource_type=resource_type, user_name=user, role=role
        )
    )


def remove_member(conn: Connection, resource_uuid: str, user: str) -> None:
    """Remove ``user`` from the resource's members (nothing if not a member)."""
    conn.execute(
        delete(members).where(members.c.resource_uuid == resource_uuid, members.c.user_name == user)
    )


def list_members(conn: Connection, resource_uuid: str) -> dict[str, str]:
    """Members of a resource as user name → role."""
    rows = conn.execute(
        select(members.c.user_name, members.c.role).where(members.c.resource_uuid == resource_uuid)
    )
    return {str(r.user_name): str(r.role) for r in rows}


def member_resources(conn: Connection, user: str, resource_type: str) -> dict[str, str]:
    """Resources of one type the user is a member of, as uuid → role."""
    rows = conn.execute(
        select(members.c.resource_uuid, members.c.role).where(
            members.c.user_name == user, members.c.resource_type == resource_type
        )
    )
    return {str(r.resource_uuid): str(r.role) for r in rows}

"""What datasets and projects share: their record's fields, members, and permission checks."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import ClassVar, Generic, Protocol, TypeVar
from uuid import UUID

from sqlalchemy import Connection

from annotask.errors import ValidationError
from annotask.limits import check_name, shown
from annotask.store import access
from annotask.workflow.context import Action, Context, Role

__all__ = ["MemberResource", "ResourceRecord"]


class ResourceRecord(Protocol):
    """The stored fields every member resource has."""

    @property
    def uuid(self) -> str: ...

    @property
    def title(self) -> str: ...

    @property
    def description(self) -> str: ...

    @property
    def created_at(self) -> datetime: ...


R = TypeVar("R", bound=ResourceRecord)


class MemberResource(Generic[R]):
    """A stored resource with a title and members with roles (a dataset or a project)."""

    _kind: ClassVar[str]
    """How messages and the access table name the kind: "dataset" or "project"."""

    def __init__(self, ctx: Context, record: R) -> None:
        self._ctx = ctx
        self._record = record

    @property
    def uuid(self) -> UUID:
        """The resource's UUID."""
        return UUID(self._record.uuid)

    @property
    def title(self) -> str:
        """The resource's title."""
        return self._record.title

    @property
    def description(self) -> str:
        """Free text about the resource."""
        return self._record.description

    @property
    def created_at(self) -> datetime:
        """When the resource was made."""
        return self._record.created_at

    @property
    def what(self) -> str:
        """How messages name this resource."""
        return f"{self._kind} {self.title!r} ({self._record.uuid})"

    def _check(self, action: Action) -> None:
        """Refuse now (AuthorizationError) unless the user may ``action``."""
        with self._reading(action):
            pass

    @contextmanager
    def _reading(self, action: Action = Action.READ) -> Iterator[Connection]:
        """A read transaction, once the user is found allowed to ``action``."""
        with self._ctx.store.read() as conn:
            self._ctx.require(conn, self._record.uuid, action, self.what)
            yield conn

    @contextmanager
    def _writing(self, action: Action) -> Iterator[Connection]:
        """A write transaction, once the user is found allowed to ``action``."""
        with self._ctx.store.write() as conn:
            self._ctx.require(conn, self._record.uuid, action, self.what)
            yield conn

    def add_member(self, user: str, role: Role | str) -> None:
        """Give a user a role on this resource (owners and admins)."""
        user = check_name(user, "the user name")
        if role not in {r.value for r in Role}:
            roles = ", ".join(r.value for r in Role)
            raise ValidationError(f"unknown role {shown(role)}; use one of {roles}")
        with self._writing(Action.ADMIN) as conn:
            access.add_member(conn, self._record.uuid, self._kind, user, Role(role).value)

    def members(self) -> dict[str, Role]:
        """The resource's members and their roles."""
        with self._reading() as conn:
            return {u: Role(r) for u, r in access.list_members(conn, self._record.uuid).items()}

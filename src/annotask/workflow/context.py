"""Who is acting on which store, and what their role allows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import Connection

from annotask.errors import AuthorizationError
from annotask.store import Store, access
from annotask.workflow.vocabulary import Role

__all__ = ["Action", "Context", "Role", "roles_allowing"]


class Action(StrEnum):
    """What a user wants to do with a project or dataset."""

    READ = "read"
    ANNOTATE = "annotate"
    REVIEW = "review"
    AGENT = "agent"
    EDIT_ITEMS = "edit items"
    LABEL = "label"
    EDIT_LABELS = "edit labels by hand"
    ADMIN = "admin"


_ALLOWED: dict[Role, frozenset[Action]] = {
    Role.OWNER: frozenset(Action),
    Role.ADMIN: frozenset(Action),
    Role.ANNOTATOR: frozenset(
        {Action.READ, Action.ANNOTATE, Action.EDIT_ITEMS, Action.LABEL, Action.EDIT_LABELS}
    ),
    Role.REVIEWER: frozenset({Action.READ, Action.REVIEW, Action.LABEL, Action.EDIT_LABELS}),
    Role.WORKER: frozenset({Action.READ, Action.AGENT, Action.EDIT_ITEMS, Action.LABEL}),
}


@dataclass(frozen=True, slots=True)
class Context:
    """An open store and the user acting on it; every domain object carries one."""

    store: Store
    user: str

    def require(self, conn: Connection, resource_uuid: str, action: Action, what: str) -> Role:
        """The user's role on the resource; AuthorizationError unless it allows ``action``."""
        return self.check_role(access.role_of(conn, resource_uuid, self.user), action, what)

    def check_role(self, role_name: str | None, action: Action, what: str) -> Role:
        """:meth:`require` for a role already read (None: not a member) in the transaction
        that needs it (a statement that checks and writes at once)."""
        if role_name is None:
            kind = what.split(" ", 1)[0]  # "project" or "dataset"
            raise AuthorizationError(
                f"user {self.user!r} is not a member of {what}; an owner or admin can add them "
                f"with `annotask {kind} add-member` (Python: add_member() of the {kind})"
            )
        role = Role(role_name)
        if action not in _ALLOWED[role]:
            raise AuthorizationError(
                f"user {self.user!r} is {role.value} of {what}, which does not allow "
                f"{action.value}; ask an owner or admin for a role that does"
            )
        return role


def roles_allowing(action: Action) -> frozenset[str]:
    """The roles whose members may do ``action``."""
    return frozenset(role.value for role, allowed in _ALLOWED.items() if action in allowed)

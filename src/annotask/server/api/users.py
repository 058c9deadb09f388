"""Users, for site admins: who has an account, and making new ones."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from annotask.client.access import UserInfo
from annotask.server.auth import Caller, current_caller
from annotask.server.state import state_of

__all__ = ["router"]

router = APIRouter(prefix="/api/users", tags=["users"])

CallerDep = Annotated[Caller, Depends(current_caller)]


class UserOut(BaseModel):
    """A user account."""

    name: str
    is_admin: bool
    has_password: bool
    created_at: datetime


class UserBody(BaseModel):
    """A new account; without a password the user logs in with API tokens only."""

    model_config = ConfigDict(extra="forbid", strict=True)

    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(default=None, min_length=8, max_length=1000)
    is_admin: bool = False


def _out(user: UserInfo) -> UserOut:
    return UserOut(
        name=user.name,
        is_admin=user.is_admin,
        has_password=user.has_password,
        created_at=user.created_at,
    )


@router.get("", response_model=list[UserOut])
def list_users(caller: CallerDep, request: Request) -> list[UserOut]:
    """Every user (site admins only)."""
    accounts = state_of(request).accounts
    accounts.require_admin(caller.user)
    return [_out(u) for u in accounts.list_users()]


@router.post("", response_model=UserOut, status_code=201)
def create_user(body: UserBody, caller: CallerDep, request: Request) -> UserOut:
    """Make a user (site admins only), as `annotask users create` does."""
    accounts = state_of(request).accounts
    accounts.require_admin(caller.user)
    accounts.create_user(body.name, body.password, admin=body.is_admin)
    return _out(accounts.get_user(body.name.strip()))

"""Errors as HTTP: one table maps each :class:`AnnotaskError` to a status, and every error
leaves as an RFC 9457 problem-details body with the one-line message the CLI would print.

No stack trace ever reaches a client; unexpected errors are logged here and answered 500.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from annotask.errors import (
    AnnotaskError,
    AuthenticationError,
    AuthorizationError,
    ConflictError,
    LabelError,
    MediaError,
    NotFoundError,
    StoreError,
    ValidationError,
)
from annotask.limits import MAX_DEPTH

__all__ = [
    "PROBLEM_JSON",
    "STATUS_OF",
    "Problem",
    "install_handlers",
    "problem_response",
    "status_of",
]

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"

STATUS_OF: dict[type[AnnotaskError], int] = {
    AuthenticationError: 401,
    AuthorizationError: 403,
    NotFoundError: 404,
    ConflictError: 409,
    ValidationError: 422,  # PathwayError too
    LabelError: 422,
    MediaError: 422,
    StoreError: 503,
    AnnotaskError: 400,
}
"""The one place an annotask error becomes a status: the nearest class in the MRO wins."""

_TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    416: "Range not satisfiable",
    422: "Unprocessable content",
    428: "Precondition required",
    429: "Too many requests",
    500: "Internal server error",
    503: "Service unavailable",
}


class Problem(Exception):
    """An HTTP answer that is not an annotask error (a precondition, a rate limit)."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        headers: dict[str, str] | None = None,
        **extensions: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.headers = headers or {}
        self.extensions = extensions


def status_of(exc: AnnotaskError) -> int:
    """The HTTP status of an annotask error."""
    for cls in type(exc).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400


def problem_response(
    status: int,
    detail: str,
    *,
    instance: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> JSONResponse:
    """A problem-details response."""
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
    }
    if instance is not None:
        body["instance"] = instance
    body.update(extensions)
    return JSONResponse(body, status_code=status, headers=headers, media_type=PROBLEM_JSON)


async def _annotask_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, AnnotaskError):
        raise exc
    status = status_of(exc)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    extensions = dict(getattr(exc, "problem_extensions", {}))
    return problem_response(
        status, str(exc), instance=request.url.path, headers=headers, **extensions
    )


async def _problem(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, Problem):
        raise exc
    return problem_response(
        exc.status, exc.detail, instance=request.url.path, headers=exc.headers, **exc.extensions
    )


_FORMS = ("multipart/", "application/x-www-form-urlencoded")


def _field(loc: tuple[Any, ...] | list[Any]) -> str:
    return ".".join(str(part) for part in loc)


def _message(error: Mapping[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    reason = (error.get("ctx") or {}).get("error")
    if error.get("type") == "json_invalid" and reason:
        return f"the body is not valid JSON: {reason}"
    return message


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, RequestValidationError):
        raise exc
    errors = [{"field": _field(e.get("loc", ())), "message": _message(e)} for e in exc.errors()]
    first = errors[0] if errors else {"field": "request", "message": "invalid"}
    more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
    detail = f"{first['field']}: {first['message']}{more}"
    return problem_response(422, detail, instance=request.url.path, errors=errors)


def _unparsable_body(request: Request, exc: StarletteHTTPException) -> str | None:
    """What is wrong with a JSON body FastAPI could not decode (it answers those 400 with
    the decoding error as the cause), or None for any other HTTP error."""
    cause = exc.__cause__
    content_type = request.headers.get("content-type", "").lower()
    if exc.status_code != 400 or content_type.startswith(_FORMS):
        return None
    if isinstance(cause, UnicodeDecodeError):
        return (
            f"the body is not valid JSON: it is not UTF-8 (byte {cause.start}: {cause.reason}); "
            "send UTF-8 JSON"
        )
    if isinstance(cause, RecursionError):
        return (
            f"the body is not valid JSON: nested too deeply to read; send JSON nested at most "
            f"{MAX_DEPTH} levels"
        )
    if isinstance(cause, ValueError):  # e.g. a numeral past Python's 4300-digit limit
        return "the body is not valid JSON: it holds a number too long to read"
    return None


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    if not isinstance(exc, StarletteHTTPException):
        raise exc
    body_problem = _unparsable_body(request, exc)
    if body_problem is not None:  # malformed JSON is 422 naming the body, like a syntax error
        return problem_response(
            422,
            f"body: {body_problem}",
            instance=request.url.path,
            errors=[{"field": "body", "message": body_problem}],
        )
    return problem_response(
        exc.status_code,
        str(exc.detail),
        instance=request.url.path,
        headers=dict(exc.headers or {}),
    )


async def _refused_by_store(request: Request, exc: Exception) -> JSONResponse:
    # a value the checks above let through but the database refuses (say a NUL in text on
    # PostgreSQL): the request's fault, and nothing was written (its transaction rolled back)
    log.warning("the store refused a value on %s %s: %s", request.method, request.url.path, exc)
    return problem_response(
        422,
        "the store refused a value in this request (text with a NUL character, or a number "
        "out of range); change it and send the request again",
        instance=request.url.path,
    )


async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
    log.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem_response(
        500, "internal server error; the server's log has the details", instance=request.url.path
    )


def _data_errors() -> tuple[type[Exception], ...]:
    """The errors a database raises for a value it refuses: SQLAlchemy's, and psycopg's own
    (raised unwrapped by its ``executemany``) where PostgreSQL support is installed."""
    from sqlalchemy.exc import DataError  # noqa: PLC0415 - the server imports the store anyway

    try:
        from psycopg import DataError as DriverDataError  # noqa: PLC0415 - optional driver
    except ImportError:
        return (DataError,)
    return (DataError, DriverDataError)


def install_handlers(app: FastAPI) -> None:
    """Answer every error raised by a view as problem details."""
    app.add_exception_handler(AnnotaskError, _annotask_error)
    app.add_exception_handler(Problem, _problem)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    for refused in _data_errors():
        app.add_exception_handler(refused, _refused_by_store)
    app.add_exception_handler(Exception, _unexpected)

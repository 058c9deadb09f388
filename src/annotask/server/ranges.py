"""Files with ``Range`` handled as RFC 9110 says, and every refusal as problem details.

Starlette's ``FileResponse`` answers a malformed ``Range`` with a plain-text 400 and an
unsatisfiable one with a plain-text 416. RFC 9110 (section 14.2) says a server should
*ignore* a ``Range`` header it cannot parse, and answer 200 with the whole body; here that is
done, and a syntactically valid but unsatisfiable range is a problem-details 416 with
``Content-Range: bytes */size``. Valid ranges are handed to Starlette reduced to the
satisfiable ones, so it never sees one it would refuse.
"""

from __future__ import annotations

import os
import re

import anyio
from starlette.datastructures import Headers
from starlette.responses import FileResponse, Response
from starlette.staticfiles import NotModifiedResponse, PathLike, StaticFiles
from starlette.types import Receive, Scope, Send

from annotask.server.problems import problem_response

__all__ = ["MAX_RANGES", "RangeFileResponse", "RangeStaticFiles", "parse_range"]

MAX_RANGES = 100
"""More ranges than this in one header: ignored (the whole body), as Starlette does."""

_RANGE_SPEC = re.compile(r"^\s*(?:([0-9]+)\s*-\s*([0-9]*)|-\s*([0-9]+))\s*$")
_BIG = 1 << 62  # any position at least this large is past every file


def _position(digits: str) -> int:
    """A byte position; longer numerals than any file size are clamped, never parsed whole
    (Python refuses to convert numerals over 4300 digits)."""
    digits = digits.lstrip("0") or "0"
    return _BIG if len(digits) > 18 else min(int(digits), _BIG)


_INVALID = "invalid"


def _span(part: str, size: int) -> tuple[int, int] | str | None:
    """One range-spec of a ``Range`` header: its satisfiable inclusive span in a file of
    ``size`` bytes, None when it is valid but unsatisfiable, :data:`_INVALID` otherwise."""
    match = _RANGE_SPEC.match(part)
    if match is None:
        return _INVALID
    first, last, suffix = match.groups()
    if suffix is not None:
        length = _position(suffix)
        return (max(size - length, 0), size - 1) if length > 0 and size > 0 else None
    start = _position(first)
    end = _position(last) if last else _BIG
    if end < start:
        return _INVALID  # "bytes=100-50" is invalid, not unsatisfiable
    return (start, min(end, size - 1)) if start < size else None


def parse_range(header: str, size: int) -> list[tuple[int, int]] | None:
    """The satisfiable inclusive spans ``header`` asks for in a file of ``size`` bytes (an
    empty list: none is); None when the header is not a valid ``bytes`` range set (or has
    more than :data:`MAX_RANGES` parts), which the caller ignores."""
    unit, sep, specs = header.partition("=")
    parts = [part for part in specs.split(",") if part.strip()]  # the #rule allows empties
    if not sep or unit.strip().lower() != "bytes" or not parts or len(parts) > MAX_RANGES:
        return None
    spans: list[tuple[int, int]] = []
    for part in parts:
        span = _span(part, size)
        if isinstance(span, str):
            return None
        if span is not None:
            spans.append(span)
    return spans


def _without_range(scope: Scope) -> Scope:
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]
    return {**scope, "headers": headers}


def _with_range(scope: Scope, spans: list[tuple[int, int]]) -> Scope:
    value = "bytes=" + ",".join(f"{start}-{end}" for start, end in spans)
    headers = [(k, v) for k, v in scope["headers"] if k.lower() != b"range"]
    return {**scope, "headers": [*headers, (b"range", value.encode())]}


class RangeFileResponse(FileResponse):
    """A ``FileResponse`` that ignores an invalid ``Range`` and refuses an unsatisfiable one
    as problem details (see the module's docstring)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        header = Headers(scope=scope).get("range") if scope["type"] == "http" else None
        if header is None or self.status_code != 200:
            await super().__call__(scope, receive, send)
            return
        stat_result = self.stat_result
        if stat_result is None:
            stat_result = await anyio.to_thread.run_sync(os.stat, self.path)
            self.stat_result = stat_result
            self.set_stat_headers(stat_result)
        size = stat_result.st_size
        if_range = Headers(scope=scope).get("if-range")
        stale = if_range is not None and not self._should_use_range(if_range)
        parsed = None if stale else parse_range(header, size)
        if parsed is None or size == 0:  # ignored: the whole body
            await super().__call__(_without_range(scope), receive, send)
            return
        if not parsed:
            refusal = problem_response(
                416,
                f"the Range {header[:80]!r} asks for no byte of this {size}-byte file; ask for "
                f"bytes 0-{size - 1} or leave Range out",
                instance=scope.get("path"),
                headers={"Content-Range": f"bytes */{size}"},
            )
            await refusal(scope, receive, send)
            return
        await super().__call__(_with_range(scope, parsed), receive, send)


class RangeStaticFiles(StaticFiles):
    """``StaticFiles`` whose files are :class:`RangeFileResponse` s."""

    def file_response(
        self,
        full_path: PathLike,
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = RangeFileResponse(full_path, status_code=status_code, stat_result=stat_result)
        if self.is_not_modified(response.headers, Headers(scope=scope)):
            return NotModifiedResponse(response.headers)
        return response

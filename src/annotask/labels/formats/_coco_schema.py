"""The shape of a COCO document, checked before any field is used (pydantic).

Only the shape: ids are ints, names strings, coordinates finite numbers, segmentation a
polygon list or an RLE. Whether ids refer to each other and coordinates fit the image is the
importer's to check. Unknown keys are allowed (COCO files carry many). Typed dicts, not
models: pydantic checks them in place, and :func:`load_coco_json` parses and checks a file's
bytes in one pass (about the time of ``json.loads`` alone).
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired

from pydantic import ConfigDict, StrictInt, StrictStr, TypeAdapter, with_config
from pydantic import ValidationError as PydanticError
from typing_extensions import TypedDict

from annotask.errors import LabelError

__all__ = ["check_coco_shape", "load_coco_json"]

_MAX_ERRORS = 25
_CONFIG = ConfigDict(strict=True, allow_inf_nan=False, extra="allow")


@with_config(_CONFIG)
class _Image(TypedDict):
    id: StrictInt
    file_name: StrictStr
    width: NotRequired[StrictInt | None]
    height: NotRequired[StrictInt | None]


@with_config(_CONFIG)
class _Category(TypedDict):
    id: StrictInt
    name: StrictStr
    keypoints: NotRequired[list[StrictStr] | None]
    skeleton: NotRequired[list[list[StrictInt]] | None]


@with_config(_CONFIG)
class _Rle(TypedDict):
    size: list[StrictInt]
    counts: list[StrictInt] | StrictStr


@with_config(_CONFIG)
class _Annotation(TypedDict):
    id: NotRequired[StrictInt | StrictStr | None]
    image_id: StrictInt
    category_id: StrictInt
    bbox: NotRequired[list[float] | None]
    segmentation: NotRequired[list[list[float]] | _Rle | None]
    keypoints: NotRequired[list[float] | None]
    score: NotRequired[float | None]
    iscrowd: NotRequired[Literal[0, 1]]
    object_hash: NotRequired[StrictStr | None]


@with_config(_CONFIG)
class _Document(TypedDict):
    images: NotRequired[list[_Image]]
    annotations: NotRequired[list[_Annotation]]
    categories: NotRequired[list[_Category]]


_ADAPTER: TypeAdapter[_Document] = TypeAdapter(_Document)


def check_coco_shape(document: Any) -> None:
    """Raise one :class:`LabelError` listing every field of ``document`` of the wrong shape."""
    if not isinstance(document, dict):
        raise LabelError(
            f"COCO input rejected, nothing was imported: a COCO document is a JSON object, "
            f"got {type(document).__name__}"
        )
    try:
        _ADAPTER.validate_python(document)
    except PydanticError as exc:
        raise _rejected(exc) from None


def load_coco_json(data: bytes, what: str) -> dict[str, Any]:
    """Parse and check a COCO file's bytes in one pass; one :class:`LabelError` if bad."""
    try:
        document: dict[str, Any] = dict(_ADAPTER.validate_json(data))
    except PydanticError as exc:
        errors = exc.errors(include_url=False, include_input=False)
        if errors and errors[0]["type"] == "json_invalid" and "recursion" in errors[0]["msg"]:
            raise LabelError(f"{what} nests too deeply; nothing was imported") from None
        if errors and errors[0]["type"] == "json_invalid":
            raise LabelError(
                f"{what} is not JSON (truncated?): {errors[0]['msg']}; nothing was imported"
            ) from None
        if errors and errors[0]["type"] in ("model_type", "dict_type") and not errors[0]["loc"]:
            raise LabelError(
                "COCO input rejected, nothing was imported: a COCO document is a JSON object"
            ) from None
        raise _rejected(exc) from None
    except RecursionError:
        raise LabelError(f"{what} nests too deeply; nothing was imported") from None
    return document


def _rejected(exc: PydanticError) -> LabelError:
    errors = exc.errors(include_url=False, include_input=False)
    lines = [f"  - {_where(e['loc'])}: {e['msg']}" for e in errors[:_MAX_ERRORS]]
    if len(errors) > _MAX_ERRORS:
        lines.append(f"  ... and {len(errors) - _MAX_ERRORS} more")
    return LabelError("COCO input rejected, nothing was imported:\n" + "\n".join(lines))


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out

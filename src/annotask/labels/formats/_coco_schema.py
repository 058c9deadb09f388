"""The shape of a COCO document, checked before any field is used (pydantic).

Only the shape: ids are ints, names strings, coordinates finite numbers, segmentation a
polygon list or an RLE. Whether ids refer to each other and coordinates fit the image is the
importer's to check. Unknown keys are allowed (COCO files carry many).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr, TypeAdapter
from pydantic import ValidationError as PydanticError

from annotask.errors import LabelError

__all__ = ["check_coco_shape"]

_MAX_ERRORS = 25


class _Model(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False, strict=True)


class _Image(_Model):
    id: StrictInt
    file_name: StrictStr
    width: StrictInt | None = None
    height: StrictInt | None = None


class _Category(_Model):
    id: StrictInt
    name: StrictStr
    keypoints: list[StrictStr] | None = None
    skeleton: list[list[StrictInt]] | None = None


class _Rle(_Model):
    size: list[StrictInt]
    counts: list[StrictInt] | StrictStr


class _Annotation(_Model):
    id: StrictInt | StrictStr | None = None
    image_id: StrictInt
    category_id: StrictInt
    bbox: list[float] | None = None
    segmentation: list[list[float]] | _Rle | None = None
    keypoints: list[float] | None = None
    score: float | None = None
    iscrowd: Literal[0, 1] = 0
    object_hash: StrictStr | None = None


class _Document(_Model):
    images: list[_Image] = []
    annotations: list[_Annotation] = []
    categories: list[_Category] = []


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
        errors = exc.errors(include_url=False, include_input=False)
        lines = [f"  - {_where(e['loc'])}: {e['msg']}" for e in errors[:_MAX_ERRORS]]
        if len(errors) > _MAX_ERRORS:
            lines.append(f"  ... and {len(errors) - _MAX_ERRORS} more")
        raise LabelError(
            "COCO input rejected, nothing was imported:\n" + "\n".join(lines)
        ) from None


def _where(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out

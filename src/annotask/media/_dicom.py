"""DICOM with pydicom: header tags, and frames windowed to 8-bit RGB."""

from __future__ import annotations

import logging
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pydicom
from numpy.typing import NDArray
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError
from pydicom.pixels.utils import iter_pixels, pixel_array

from annotask.errors import MediaError
from annotask.media._image import stretch_to_uint8

__all__ = ["dicom_tags", "iter_dicom_rgb", "read_dicom_header", "read_dicom_rgb"]

logger = logging.getLogger(__name__)

# pydicom raises these for bad files, missing pixel data and unsupported transfer syntaxes
_PYDICOM_ERRORS = (InvalidDicomError, OSError, ValueError, AttributeError, KeyError,
                   NotImplementedError, RuntimeError, TypeError, EOFError)  # fmt: skip
_COLOR_SAMPLES = 3


def read_dicom_header(path: Path) -> Dataset:
    """The data set without its pixel data; MediaError when it is not readable DICOM.

    pydicom's warnings about damaged files are logged, not passed on; a data set without
    Rows and Columns counts as corrupt.
    """
    with _logged_warnings(path) as caught:
        try:
            ds = pydicom.dcmread(path, stop_before_pixels=True)
        except _PYDICOM_ERRORS as exc:
            raise MediaError(f"{path}: corrupt DICOM: {exc}") from exc
    if "Rows" not in ds or "Columns" not in ds:
        reason = "; ".join(str(w.message) for w in caught) or "no Rows/Columns"
        raise MediaError(f"{path}: corrupt DICOM: {reason}")
    return ds


@contextmanager
def _logged_warnings(path: Path) -> Iterator[list[warnings.WarningMessage]]:
    """Catch pydicom's warnings about a file and log them instead of passing them on."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield caught
    for warning in caught:
        logger.warning("%s: %s", path, warning.message)


def dicom_tags(ds: Dataset) -> dict[str, Any]:
    """The JSON-able tags annotask records for a DICOM item."""
    return {
        "modality": _text(ds.get("Modality")),
        "study_instance_uid": _text(ds.get("StudyInstanceUID")),
        "series_instance_uid": _text(ds.get("SeriesInstanceUID")),
        "rows": _integer(ds.get("Rows")),
        "columns": _integer(ds.get("Columns")),
        "number_of_frames": _integer(ds.get("NumberOfFrames")) or 1,
    }


def read_dicom_rgb(path: Path, index: int = 0) -> NDArray[np.uint8]:
    """Frame ``index`` of a DICOM file as RGB ``uint8``, decoding only that frame."""
    header = read_dicom_header(path)
    try:
        with _logged_warnings(path):
            values = pixel_array(path, index=index)
    except _PYDICOM_ERRORS as exc:
        raise MediaError(f"{path}: cannot decode DICOM pixel data: {exc}") from exc
    return to_rgb8(values, header)


def iter_dicom_rgb(path: Path, header: Dataset) -> Iterator[NDArray[np.uint8]]:
    """Every frame of a DICOM file, one at a time, as RGB ``uint8`` (``header`` from
    :func:`read_dicom_header`)."""
    frames = iter_pixels(path)
    index = 0
    while True:
        try:
            with _logged_warnings(path):
                values = next(frames)
        except StopIteration:
            return
        except _PYDICOM_ERRORS as exc:
            raise MediaError(f"{path}: cannot decode DICOM frame {index}: {exc}") from exc
        yield to_rgb8(values, header)
        index += 1


def to_rgb8(values: NDArray[Any], ds: Dataset) -> NDArray[np.uint8]:
    """Rescale, window (WindowCenter/Width, else min/max) and turn into 3 channels."""
    if values.ndim == 3 and values.shape[-1] == _COLOR_SAMPLES:
        if values.dtype == np.uint8:
            return np.ascontiguousarray(values)
        return stretch_to_uint8(values.astype(np.float64))
    slope = float(ds.get("RescaleSlope", 1) or 1)
    intercept = float(ds.get("RescaleIntercept", 0) or 0)
    real = values.astype(np.float64) * slope + intercept
    window = _window(ds)
    gray = _apply_window(real, *window) if window else stretch_to_uint8(real)
    if ds.get("PhotometricInterpretation") == "MONOCHROME1":
        gray = 255 - gray
    return np.repeat(gray[:, :, None], 3, axis=2)


def _window(ds: Dataset) -> tuple[float, float] | None:
    center, width = ds.get("WindowCenter"), ds.get("WindowWidth")
    if center is None or width is None:
        return None
    center = center[0] if isinstance(center, pydicom.multival.MultiValue) else center
    width = width[0] if isinstance(width, pydicom.multival.MultiValue) else width
    if float(width) < 1:
        return None
    return float(center), float(width)


def _apply_window(values: NDArray[np.float64], center: float, width: float) -> NDArray[np.uint8]:
    """The DICOM linear VOI function (PS3.3 C.11.2.1.2.1) onto 0..255."""
    if width <= 1:
        return np.where(values > center - 0.5, 255, 0).astype(np.uint8)
    scaled = ((values - (center - 0.5)) / (width - 1) + 0.5) * 255.0
    return np.clip(np.rint(scaled), 0, 255).astype(np.uint8)


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _integer(value: Any) -> int | None:
    try:
        return None if value is None else int(value)
    except (TypeError, ValueError):
        return None

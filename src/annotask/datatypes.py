"""The kinds of asset a storage item can hold."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DataType"]


class DataType(StrEnum):
    """What a storage item is; decides which frame access an agent can use."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DICOM = "dicom"
    PDF = "pdf"
    TEXT = "text"
    IMAGE_SEQUENCE = "image_sequence"

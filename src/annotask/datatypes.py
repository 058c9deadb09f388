"""The kinds of asset a storage item can hold."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["DataType", "StorageItemType"]


class DataType(StrEnum):
    """What a storage item is; decides which frame access an agent can use.

    The seed's SDK names are aliases of the same members where they mean the same:
    ``PLAIN_TEXT`` is ``TEXT``; ``IMG_GROUP`` and ``IMAGE_GROUP`` (several images labelled
    as frames) are ``IMAGE_SEQUENCE``; ``DICOM_FILE`` and ``DICOM_SERIES`` are ``DICOM``.
    """

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DICOM = "dicom"
    PDF = "pdf"
    TEXT = "text"
    IMAGE_SEQUENCE = "image_sequence"
    # the seed's names for the same members (aliases: iteration lists each member once)
    PLAIN_TEXT = "text"
    IMG_GROUP = "image_sequence"
    IMAGE_GROUP = "image_sequence"
    DICOM_FILE = "dicom"
    DICOM_SERIES = "dicom"


StorageItemType = DataType
"""The seed's name for the type of a storage item (``storage_item.item_type``)."""

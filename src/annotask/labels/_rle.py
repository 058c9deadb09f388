"""Run-length encoding of binary masks, as COCO writes it.

Counts alternate runs of 0 and 1 over the mask read in column-major (Fortran) order,
starting with a run of 0 (which may be empty). ``compress``/``decompress`` convert to and
from COCO's compressed string form (pycocotools' ``rleToString``/``rleFrString``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from numpy.typing import NDArray

__all__ = ["compress", "decode", "decompress", "encode"]


def encode(mask: NDArray[np.bool_]) -> list[int]:
    """Counts of a 2-D boolean mask."""
    flat = mask.ravel(order="F")
    if flat.size == 0:
        return []
    change = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    bounds = np.concatenate(([0], change, [flat.size]))
    runs: list[int] = np.diff(bounds).tolist()
    return [0, *runs] if flat[0] else runs


def decode(counts: Sequence[int], height: int, width: int) -> NDArray[np.bool_]:
    """The 2-D boolean mask of these counts."""
    values = np.zeros(len(counts), dtype=bool)
    values[1::2] = True
    flat = np.repeat(values, counts)
    return flat.reshape((height, width), order="F")


def compress(counts: Sequence[int]) -> str:
    """COCO's compressed string for these counts."""
    out: list[str] = []
    for i, count in enumerate(counts):
        x = count - counts[i - 2] if i > 2 else count
        more = True
        while more:
            c = x & 0x1F
            x >>= 5
            more = not ((c & 0x10 == 0 and x == 0) or (c & 0x10 != 0 and x == -1))
            if more:
                c |= 0x20
            out.append(chr(c + 48))
    return "".join(out)


def decompress(text: str) -> list[int]:
    """Counts of COCO's compressed string; ``ValueError`` if it is malformed."""
    counts: list[int] = []
    pos = 0
    while pos < len(text):
        x = 0
        shift = 0
        more = True
        while more:
            if pos >= len(text):
                raise ValueError("compressed RLE string ends inside a number")
            c = ord(text[pos]) - 48
            if not 0 <= c < 64:
                raise ValueError(f"character {text[pos]!r} is not compressed RLE")
            x |= (c & 0x1F) << shift
            more = bool(c & 0x20)
            pos += 1
            shift += 5
            if not more and c & 0x10:
                x |= -1 << shift
        if len(counts) > 2:
            x += counts[-2]
        counts.append(x)
    return counts

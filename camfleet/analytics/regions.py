"""Zones and lines resolved to pixel coordinates of the frames actually received."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from camfleet.analytics.schema import Coords

__all__ = ["to_pixels"]


def to_pixels(
    points: Sequence[tuple[float, float]],
    coords: Coords,
    frame_size: tuple[int, int] | None,
    width: int,
    height: int,
) -> npt.NDArray[np.float64]:
    """``points`` in pixels of a ``width`` x ``height`` frame.

    Normalized points scale by the frame's size; pixel points are taken relative to the
    configured ``frame_size`` and scaled if the stream's size differs from it.
    """
    array = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    if coords == "normalized":
        scale = np.array([width, height], np.float64)
    elif frame_size is None:
        return array
    else:
        scale = np.array([width / frame_size[0], height / frame_size[1]], np.float64)
    return array * scale

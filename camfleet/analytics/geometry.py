"""Vectorized plane geometry for zones and lines, in image coordinates (x right, y down).

Every function works on many points at once; none loops over boxes in Python.

Conventions:

* An object's position is its **anchor**, the bottom-centre of its box ``((x1 + x2) / 2, y2)``:
  where a person or vehicle touches the ground, so zones drawn on the floor and lines drawn
  across a road match what the camera sees, whatever the object's height.
* The **side** of a point relative to the directed segment ``start → end`` is the sign of the
  2-D cross product ``(end - start) × (p - start)``. With y pointing down, a negative value is
  the **left** hand of someone walking from ``start`` to ``end`` on the picture seen as a map,
  a positive value the right hand. A point exactly on the line counts as right, so a path that
  stops on the line and then goes on is counted once, not zero times or twice.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

__all__ = [
    "LEFT",
    "RIGHT",
    "anchors",
    "crossings",
    "points_in_polygon",
    "polygon_area",
    "polygon_self_intersects",
    "side_of_line",
    "signed_side",
]

FloatArray = npt.NDArray[np.float64]
LEFT = -1
RIGHT = 1


def _as_points(points: npt.ArrayLike) -> FloatArray:
    array = np.asarray(points, dtype=np.float64)
    return array.reshape(-1, 2)


def anchors(xyxy: npt.ArrayLike) -> FloatArray:
    """Bottom-centre of each box: an ``(N, 2)`` array of ``(x, y)``."""
    boxes = np.asarray(xyxy, dtype=np.float64).reshape(-1, 4)
    return np.stack(((boxes[:, 0] + boxes[:, 2]) * 0.5, boxes[:, 3]), axis=1)


def signed_side(points: npt.ArrayLike, start: npt.ArrayLike, end: npt.ArrayLike) -> FloatArray:
    """Cross product ``(end - start) × (p - start)`` for each point (negative: left)."""
    p = _as_points(points)
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    d = b - a
    return np.asarray(d[0] * (p[:, 1] - a[1]) - d[1] * (p[:, 0] - a[0]), dtype=np.float64)


def side_of_line(
    points: npt.ArrayLike, start: npt.ArrayLike, end: npt.ArrayLike
) -> npt.NDArray[np.int8]:
    """:data:`LEFT` (-1) or :data:`RIGHT` (+1) for each point; on the line counts as right."""
    return np.where(signed_side(points, start, end) < 0.0, LEFT, RIGHT).astype(np.int8)


def crossings(
    previous: npt.ArrayLike, current: npt.ArrayLike, start: npt.ArrayLike, end: npt.ArrayLike
) -> npt.NDArray[np.int8]:
    """For each path ``previous[i] → current[i]``: did it cross the segment ``start–end``?

    Returns ``+1`` where it crossed from the right side to the left, ``-1`` from left to
    right, ``0`` where it did not cross (it stayed on one side, or passed beyond an end of
    the segment).
    """
    p = _as_points(previous)
    q = _as_points(current)
    side_p = side_of_line(p, start, end)
    side_q = side_of_line(q, start, end)
    changed = side_p != side_q
    # The segment's ends must lie on opposite sides of (or on) the path's own line, otherwise
    # the path passed the line's extension, not the segment.
    path = q - p
    a = np.asarray(start, dtype=np.float64)
    b = np.asarray(end, dtype=np.float64)
    cross_a = path[:, 0] * (a[1] - p[:, 1]) - path[:, 1] * (a[0] - p[:, 0])
    cross_b = path[:, 0] * (b[1] - p[:, 1]) - path[:, 1] * (b[0] - p[:, 0])
    within = cross_a * cross_b <= 0.0
    direction = np.where(side_q == LEFT, 1, -1).astype(np.int8)
    return np.where(changed & within, direction, 0).astype(np.int8)


def points_in_polygon(points: npt.ArrayLike, polygon: npt.ArrayLike) -> npt.NDArray[np.bool_]:
    """Whether each point lies inside ``polygon`` (crossing-number rule, points × edges).

    A horizontal ray from each point to +x crosses the outline an odd number of times iff the
    point is inside. Points exactly on an edge may fall either way.
    """
    p = _as_points(points)
    poly = _as_points(polygon)
    x1, y1 = poly[:, 0], poly[:, 1]
    nxt = np.roll(poly, -1, axis=0)
    x2, y2 = nxt[:, 0], nxt[:, 1]
    px = p[:, 0:1]
    py = p[:, 1:2]
    straddles = (y1 > py) != (y2 > py)  # (N, M)
    dy = np.where(y2 == y1, 1.0, y2 - y1)  # horizontal edges never straddle
    x_at_py = x1 + (py - y1) * (x2 - x1) / dy
    hits = straddles & (px < x_at_py)
    return np.asarray(np.count_nonzero(hits, axis=1) % 2 == 1)


def polygon_area(polygon: npt.ArrayLike) -> float:
    """Absolute area (shoelace formula)."""
    poly = _as_points(polygon)
    x, y = poly[:, 0], poly[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1))) * 0.5)


def _orientation(a: FloatArray, b: FloatArray, c: FloatArray) -> FloatArray:
    return np.asarray(
        (b[..., 0] - a[..., 0]) * (c[..., 1] - a[..., 1])
        - (b[..., 1] - a[..., 1]) * (c[..., 0] - a[..., 0])
    )


def _on_segment(a: FloatArray, b: FloatArray, c: FloatArray) -> npt.NDArray[np.bool_]:
    """For collinear a, b, c: c lies within a–b's bounding box."""
    return np.asarray(
        (np.minimum(a[..., 0], b[..., 0]) <= c[..., 0])
        & (c[..., 0] <= np.maximum(a[..., 0], b[..., 0]))
        & (np.minimum(a[..., 1], b[..., 1]) <= c[..., 1])
        & (c[..., 1] <= np.maximum(a[..., 1], b[..., 1]))
    )


def polygon_self_intersects(polygon: npt.ArrayLike) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges (by index) that touch or cross, or ``None``.

    Edge ``i`` joins vertex ``i`` to vertex ``i + 1`` (the last one closes the outline).
    """
    poly = _as_points(polygon)
    m = len(poly)
    if m < 4:
        return None
    starts = poly
    ends = np.roll(poly, -1, axis=0)
    i, j = np.triu_indices(m, k=2)
    adjacent = (i == 0) & (j == m - 1)
    i, j = i[~adjacent], j[~adjacent]
    p1, p2, q1, q2 = starts[i], ends[i], starts[j], ends[j]
    o1 = _orientation(p1, p2, q1)
    o2 = _orientation(p1, p2, q2)
    o3 = _orientation(q1, q2, p1)
    o4 = _orientation(q1, q2, p2)
    proper = (o1 * o2 < 0) & (o3 * o4 < 0)
    touching = (
        ((o1 == 0) & _on_segment(p1, p2, q1))
        | ((o2 == 0) & _on_segment(p1, p2, q2))
        | ((o3 == 0) & _on_segment(q1, q2, p1))
        | ((o4 == 0) & _on_segment(q1, q2, p2))
    )
    hit = np.flatnonzero(proper | touching)
    if hit.size == 0:
        return None
    return int(i[hit[0]]), int(j[hit[0]])

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from camfleet.analytics.geometry import (
    LEFT,
    RIGHT,
    anchors,
    crossings,
    points_in_polygon,
    polygon_area,
    polygon_self_intersects,
    side_of_line,
    signed_side,
)

coordinate = st.floats(-1000.0, 1000.0, allow_nan=False, width=32)
point = st.tuples(coordinate, coordinate)
offset = st.tuples(st.floats(-500.0, 500.0, width=32), st.floats(-500.0, 500.0, width=32))


def _regular_polygon(center: tuple[float, float], radius: float, sides: int) -> np.ndarray:
    angles = np.linspace(0.0, 2 * np.pi, sides, endpoint=False)
    return np.stack(
        (center[0] + radius * np.cos(angles), center[1] + radius * np.sin(angles)), axis=1
    )


convex_polygon = st.builds(
    _regular_polygon,
    st.tuples(st.floats(-100, 100), st.floats(-100, 100)),
    st.floats(1.0, 100.0),
    st.integers(3, 12),
)


def test_anchor_is_bottom_centre() -> None:
    np.testing.assert_allclose(anchors([[10, 20, 30, 60], [0, 0, 1, 1]]), [[20, 60], [0.5, 1]])
    assert anchors(np.zeros((0, 4))).shape == (0, 2)


def test_left_is_left_hand_walking_start_to_end_on_screen() -> None:
    # Walking up the picture (from y=100 to y=0): left hand is smaller x.
    sides = side_of_line([[10, 50], [90, 50]], start=(50, 100), end=(50, 0))
    assert sides.tolist() == [LEFT, RIGHT]


def test_points_in_square_and_concave_polygon() -> None:
    square = [(0, 0), (10, 0), (10, 10), (0, 10)]
    got = points_in_polygon([[5, 5], [15, 5], [-1, -1], [9.9, 0.1]], square)
    assert got.tolist() == [True, False, False, True]
    # A "U": the notch between the arms is outside.
    u_shape = [(0, 0), (3, 0), (3, 8), (7, 8), (7, 0), (10, 0), (10, 10), (0, 10)]
    assert points_in_polygon([[5, 4], [1, 4], [5, 9]], u_shape).tolist() == [False, True, True]


def test_points_in_polygon_handles_horizontal_edges_without_warnings() -> None:
    poly = [(0, 0), (10, 0), (10, 5), (5, 5), (5, 10), (0, 10)]
    assert points_in_polygon([[2, 5], [7, 7], [7, 2]], poly).tolist() == [True, False, True]


@settings(deadline=None)
@given(convex_polygon, st.data())
def test_point_in_triangle_fan_of_convex_polygon_is_inside(
    polygon: np.ndarray, data: st.DataObject
) -> None:
    # A point strictly inside any triangle (centre, v_i, v_i+1) of the fan is inside.
    i = data.draw(st.integers(0, len(polygon) - 1))
    w = np.array(data.draw(st.tuples(*[st.floats(0.05, 1.0)] * 3)))
    w /= w.sum()
    center = polygon.mean(axis=0)
    p = w[0] * center + w[1] * polygon[i] + w[2] * polygon[(i + 1) % len(polygon)]
    assert points_in_polygon(p[None], polygon)[0]


@settings(deadline=None)
@given(convex_polygon, st.lists(point, min_size=1, max_size=20), offset)
def test_points_in_polygon_is_translation_invariant(
    polygon: np.ndarray, points: list[tuple[float, float]], shift: tuple[float, float]
) -> None:
    pts = np.array(points, np.float64)
    # Points within rounding distance of an edge may fall either way; compare the rest.
    near = np.zeros(len(pts), bool)
    for a, b in zip(polygon, np.roll(polygon, -1, axis=0), strict=True):
        near |= np.abs(signed_side(pts, a, b)) / np.hypot(*(b - a)) < 1e-6
    original = points_in_polygon(pts, polygon)
    moved = points_in_polygon(pts + shift, polygon + np.array(shift))
    assert (original == moved)[~near].all()


@given(point, point, point)
def test_side_sign_flips_when_line_endpoints_swap(
    p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]
) -> None:
    assume(abs(signed_side([p], a, b)[0]) > 1e-3)
    assert side_of_line([p], a, b)[0] == -side_of_line([p], b, a)[0]


@st.composite
def line_and_crossing_path(
    draw: st.DrawFn,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A line a→b and a path p→q that crosses it through an interior point."""
    a = np.array(draw(point))
    b = np.array(draw(point))
    assume(np.hypot(*(b - a)) > 1.0)
    t = draw(st.floats(0.1, 0.9))
    hit = a + t * (b - a)
    direction = b - a
    normal = np.array([-direction[1], direction[0]]) / np.hypot(*direction)
    along = draw(st.floats(-0.5, 0.5))
    d1 = draw(st.floats(1.0, 100.0))
    d2 = draw(st.floats(1.0, 100.0))
    p = hit - d1 * normal + along * direction * 0.1
    q = hit + d2 * normal - along * direction * 0.1
    return a, b, p, q


@given(line_and_crossing_path())
def test_crossing_there_and_back_counts_one_each_way(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    a, b, p, q = case
    there = crossings([p], [q], a, b)[0]
    back = crossings([q], [p], a, b)[0]
    assert {int(there), int(back)} == {1, -1}
    assert int(there) == (1 if side_of_line([q], a, b)[0] == LEFT else -1)


@given(line_and_crossing_path())
def test_crossing_direction_flips_when_line_is_reversed(
    case: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    a, b, p, q = case
    assert crossings([p], [q], a, b)[0] == -crossings([p], [q], b, a)[0]


@given(point, point, point, st.floats(0.01, 0.99), st.floats(0.01, 0.99))
def test_path_that_stays_on_one_side_never_counts(
    a: tuple[float, float],
    b: tuple[float, float],
    far: tuple[float, float],
    s: float,
    t: float,
) -> None:
    # Both ends of the path are strictly on the same side: no crossing, whatever the path.
    side = signed_side([far], a, b)[0]
    assume(abs(side) > 1e-3)
    a_, b_ = np.array(a), np.array(b)
    p = np.array(far)
    q = p + s * (a_ - p) * 0.9 + t * (b_ - a_) * 0.1
    assume(np.sign(signed_side([q], a, b)[0]) == np.sign(side))
    assume(abs(signed_side([q], a, b)[0]) > 1e-3)
    assert crossings([p], [q], a, b)[0] == 0


def test_path_passing_beyond_the_segment_end_does_not_count() -> None:
    # Line from (0,0) to (10,0); the path crosses y=0 at x=20, past the end.
    assert crossings([[20, -5]], [[20, 5]], (0, 0), (10, 0)).tolist() == [0]
    assert crossings([[5, -5]], [[5, 5]], (0, 0), (10, 0)).tolist() == [-1]


def test_stopping_on_the_line_then_going_on_counts_once() -> None:
    a, b = (0.0, 0.0), (0.0, 10.0)
    path = np.array([[-5.0, 5.0], [0.0, 5.0], [5.0, 5.0]])
    got = crossings(path[:-1], path[1:], a, b)
    assert np.count_nonzero(got) == 1


def test_crossings_are_vectorized_over_tracks() -> None:
    prev = np.array([[-1, 5], [1, 5], [-1, 5], [-1, 50]])
    curr = np.array([[1, 5], [-1, 5], [-2, 5], [1, 50]])
    # Walking down the picture from (0, 0) to (0, 10), the left hand is +x.
    assert crossings(prev, curr, (0, 0), (0, 10)).tolist() == [1, -1, 0, 0]


@pytest.mark.parametrize(
    ("polygon", "expected"),
    [
        ([(0, 0), (1, 0), (1, 1), (0, 1)], None),
        ([(0, 0), (1, 1), (1, 0), (0, 1)], (0, 2)),  # a bow tie
        ([(0, 0), (4, 0), (4, 4), (2, 0), (0, 4)], (0, 2)),  # vertex touching an edge
        ([(0, 0), (3, 0), (3, 8), (7, 8), (7, 0), (10, 0), (10, 10), (0, 10)], None),
        ([(0, 0), (1, 0), (0.5, 1)], None),
    ],
)
def test_polygon_self_intersection(
    polygon: list[tuple[float, float]], expected: tuple[int, int] | None
) -> None:
    assert polygon_self_intersects(polygon) == expected


@given(convex_polygon)
def test_convex_polygons_never_self_intersect(polygon: np.ndarray) -> None:
    assert polygon_self_intersects(polygon) is None


def test_polygon_area() -> None:
    assert polygon_area([(0, 0), (4, 0), (4, 3), (0, 3)]) == 12.0
    assert polygon_area([(0, 0), (1, 1), (2, 2)]) == 0.0

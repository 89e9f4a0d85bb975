"""The capacity/cost model: monotonicity properties and the limits."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camfleet.errors import PlanError
from camfleet.planner.cost import (
    Limits,
    cost_per_camera_month,
    decode_limit,
    instances_needed,
    memory_limit,
    monthly_cost,
    scale_capacity,
)

cameras = st.integers(min_value=1, max_value=100_000)
capacity = st.integers(min_value=1, max_value=10_000)
hourly = st.floats(min_value=0.01, max_value=100.0, allow_nan=False)


def _per_camera(n: int, per_instance: int, price: float) -> float:
    return cost_per_camera_month(monthly_cost(price, instances_needed(n, per_instance), 730), n)


@given(n=cameras, low=capacity, extra=st.integers(min_value=0, max_value=10_000), price=hourly)
def test_cost_per_camera_never_rises_when_capacity_rises(
    n: int, low: int, extra: int, price: float
) -> None:
    assert _per_camera(n, low + extra, price) <= _per_camera(n, low, price) + 1e-9


@given(n=cameras, more=st.integers(min_value=0, max_value=10_000), per_instance=capacity)
def test_more_cameras_never_need_fewer_instances(n: int, more: int, per_instance: int) -> None:
    assert instances_needed(n + more, per_instance) >= instances_needed(n, per_instance)


@given(n=cameras, per_instance=capacity)
def test_instances_cover_the_cameras_with_less_than_one_spare(n: int, per_instance: int) -> None:
    count = instances_needed(n, per_instance)
    assert count * per_instance >= n > (count - 1) * per_instance


@given(
    measured=st.integers(min_value=0, max_value=5000),
    fps=st.floats(min_value=0.1, max_value=30.0),
    faster=st.floats(min_value=1.0, max_value=10.0),
)
def test_capacity_falls_as_analysis_rate_rises(measured: int, fps: float, faster: float) -> None:
    assert scale_capacity(measured, 2.0, fps * faster) <= scale_capacity(measured, 2.0, fps)


def test_capacity_scales_inversely_with_fps_exactly() -> None:
    assert scale_capacity(40, 2.0, 4.0) == 20
    assert scale_capacity(40, 2.0, 1.0) == 80
    assert scale_capacity(90, 2.0, 2.0, factor=1.8) == 162
    assert scale_capacity(3, 2.0, 4.0) == 1


def test_limits_name_the_binding_resource() -> None:
    assert Limits(compute=90, decode=122, memory=2241).bound == "compute"
    assert Limits(compute=180, decode=122, memory=None).bound == "decode"
    limits = Limits(compute=180, decode=None, memory=40)
    assert (limits.cameras, limits.bound) == (40, "memory")


def test_decode_and_memory_limits_leave_room_for_the_system() -> None:
    assert decode_limit(4, 35.0) == 122  # 3.5 usable vCPUs x 35
    # 16 GiB - 1.5 GiB reserved, minus a 1400 MB engine, at 6 MB per camera
    assert memory_limit(16, 1, 1940.0, 6.0, 90) == (14.5 * 1024 - 1400) // 6
    assert memory_limit(16, 1, None, 6.0, 90) is None
    assert memory_limit(1, 1, 1940.0, 6.0, 90) == 0


def test_planning_for_nothing_is_refused() -> None:
    with pytest.raises(PlanError):
        instances_needed(10, 0)
    with pytest.raises(PlanError):
        cost_per_camera_month(100.0, 0)

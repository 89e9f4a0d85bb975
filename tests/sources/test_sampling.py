from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camfleet.sources import SamplingClock


def taken(clock: SamplingClock, times: list[float]) -> list[float]:
    return [t for t in times if clock.due(t)]


def test_none_takes_every_frame() -> None:
    times = [i / 25 for i in range(50)]
    assert taken(SamplingClock(None), times) == times


@pytest.mark.parametrize(
    ("native_fps", "analyze_fps", "seconds", "expected"),
    [(25, 2, 10, 20), (15, 2, 10, 20), (30, 5, 4, 20), (15, 15, 2, 30), (10, 30, 2, 20)],
)
def test_constant_rate_takes_analyze_fps(
    native_fps: int, analyze_fps: float, seconds: int, expected: int
) -> None:
    times = [i / native_fps for i in range(native_fps * seconds)]
    assert len(taken(SamplingClock(analyze_fps), times)) == expected


def test_takes_the_first_frame_at_or_after_each_instant() -> None:
    times = [i / 25 for i in range(50)]
    assert taken(SamplingClock(2), times) == pytest.approx([0.0, 0.52, 1.0, 1.52])


@settings(deadline=None)  # timing is not the property; a busy CI box is slow
@given(
    gaps=st.lists(st.floats(0.001, 0.2), min_size=1, max_size=300),
    analyze_fps=st.floats(0.5, 4.0),
)
def test_variable_frame_rate_takes_one_frame_per_grid_instant(
    gaps: list[float], analyze_fps: float
) -> None:
    """Gaps shorter than a period: exactly one frame per instant t0 + k / analyze_fps."""
    times = list(np.cumsum([0.0, *gaps]))
    period = 1.0 / analyze_fps
    chosen = taken(SamplingClock(analyze_fps), times)
    instants = math.floor((times[-1] - times[0]) / period + 1e-6) + 1
    assert len(chosen) == instants
    for k, t in enumerate(chosen):
        assert times[0] + k * period - 1e-6 <= t < times[0] + (k + 1) * period


def test_gap_longer_than_a_period_reanchors() -> None:
    clock = SamplingClock(2)
    assert taken(clock, [0.0, 0.5, 1.0, 5.0, 5.2, 5.5]) == [0.0, 0.5, 1.0, 5.0, 5.5]


def test_time_going_backwards_restarts_the_grid() -> None:
    clock = SamplingClock(1)
    assert taken(clock, [0.0, 0.5, 1.0, 0.1, 0.6, 1.1]) == [0.0, 1.0, 0.1, 1.1]


def test_reset_takes_the_next_frame() -> None:
    clock = SamplingClock(1)
    assert clock.due(0.0) and not clock.due(0.5)
    clock.reset()
    assert clock.due(0.6)


@pytest.mark.parametrize("bad", [0.0, -2.0, float("nan")])
def test_rejects_non_positive_rates(bad: float) -> None:
    with pytest.raises(ValueError, match="analyze_fps"):
        SamplingClock(bad)

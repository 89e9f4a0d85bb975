from __future__ import annotations

import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camfleet.errors import SourceError
from camfleet.sources import SyntheticSource, open_source
from camfleet.sources.synthetic import parse_synthetic_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("synthetic:1280x720@15", (1280, 720, 15.0)),
        ("synthetic:64x48@2.5", (64, 48, 2.5)),
    ],
)
def test_parses_size_and_rate(url: str, expected: tuple[int, int, float]) -> None:
    assert parse_synthetic_url(url) == expected


@pytest.mark.parametrize(
    "url", ["synthetic:", "synthetic:1280x720", "synthetic:1280*720@15", "synthetic:8x8@15"]
)
def test_rejects_malformed_urls_with_the_expected_form(url: str) -> None:
    with pytest.raises(SourceError, match=r"synthetic:WIDTHxHEIGHT@FPS|out of range"):
        open_source(url, "cam1")


def test_frames_have_the_size_and_are_deterministic_per_seq() -> None:
    with (
        open_source("synthetic:320x240@15", "a") as first,
        open_source("synthetic:320x240@15", "b") as second,
    ):
        assert (first.width, first.height, first.native_fps) == (320, 240, 15.0)
        for seq in range(5):
            a, b = first.read(), second.read()
            assert a is not None and b is not None
            assert a.seq == b.seq == seq
            assert a.image.shape == (240, 320, 3) and a.image.dtype == np.uint8
            np.testing.assert_array_equal(a.image, b.image)


def test_consecutive_frames_differ_where_the_rectangles_move() -> None:
    source = SyntheticSource("cam1", 640, 360, 15)
    a, b = source.read(), source.read()
    assert a is not None and b is not None
    changed = np.any(a.image != b.image, axis=2)
    assert 0.001 < changed.mean() < 0.25  # some motion, not a new picture
    assert a.image.std() > 20  # textured background


@settings(deadline=None)  # timing is not the property; a busy CI box is slow
@given(index=st.integers(0, 100_000))
def test_rectangles_stay_inside_the_frame(index: int) -> None:
    source = SyntheticSource("cam1", 200, 100, 15)
    boxes = source.rectangles(index)
    assert np.all(boxes[:, :2] >= 0)
    assert np.all(boxes[:, 2] <= 200) and np.all(boxes[:, 3] <= 100)


def test_a_720p_frame_costs_well_under_a_millisecond() -> None:
    source = SyntheticSource("cam1", 1280, 720, 15)
    source.read()
    batches = []
    for _ in range(5):
        started = time.thread_time()  # CPU time: immune to other processes on the machine
        for _ in range(40):
            source.read()
        batches.append((time.thread_time() - started) / 40)
    assert min(batches) < 1e-3


def test_analyze_fps_skips_frames_without_rendering_them() -> None:
    source = SyntheticSource("cam1", 64, 48, 15, analyze_fps=5)
    frames = [source.read() for _ in range(4)]
    assert [f.seq for f in frames if f is not None] == [0, 1, 2, 3]
    assert source.frame_index == 10  # frames 0, 3, 6, 9 were taken


def test_realtime_paces_generation() -> None:
    source = SyntheticSource("cam1", 64, 48, 20, realtime=True)
    started = time.monotonic()
    frames = [source.read() for _ in range(6)]
    assert 0.23 <= time.monotonic() - started < 1.5
    assert frames[0] is not None and frames[-1] is not None
    assert frames[-1].captured_at - frames[0].captured_at >= 0.23


def test_read_after_close_is_a_source_error() -> None:
    source = SyntheticSource("cam1", 32, 24, 10)
    source.close()
    with pytest.raises(SourceError, match="after close"):
        source.read()

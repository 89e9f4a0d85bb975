"""Live generated cameras start at an id-derived phase, so a fleet does not capture in bursts."""

from __future__ import annotations

import time

from camfleet.sources import open_source


def first_frame_delay(camera_id: str) -> float:
    with open_source("synthetic:64x48@10", camera_id=camera_id, analyze_fps=2.0,
                     realtime=True) as source:
        started = time.monotonic()
        source.read()
        return time.monotonic() - started


def test_first_frame_phase_depends_on_camera_and_stays_within_one_interval():
    delays = {cam: first_frame_delay(cam) for cam in ("cam000", "cam001", "cam002", "cam003")}
    assert all(0.0 <= d < 0.5 + 0.05 for d in delays.values()), delays
    assert max(delays.values()) - min(delays.values()) > 0.05, delays
    # deterministic: the same camera id gets the same phase
    again = first_frame_delay("cam002")
    assert abs(again - delays["cam002"]) < 0.03


def test_offline_sources_are_not_delayed():
    with open_source("synthetic:64x48@10", camera_id="cam001", analyze_fps=2.0) as source:
        started = time.monotonic()
        source.read()
        assert time.monotonic() - started < 0.05

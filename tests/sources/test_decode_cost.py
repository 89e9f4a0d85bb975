from __future__ import annotations

from pathlib import Path

import pytest

from camfleet.sources import measure_decode_cost, write_reference_clip


def test_measures_the_cost_of_a_sampled_camera(reference_clip: Path) -> None:
    cost = measure_decode_cost(reference_clip, analyze_fps=2, seconds=3)
    assert (cost.width, cost.height, cost.native_fps) == (1280, 720, 15.0)
    assert 45 <= cost.frames_decoded <= 47
    assert 6 <= cost.frames_converted <= 7  # 2 per second for 3 s, at 0.0, 0.5, ... 3.0
    assert 0.05 < cost.ms_per_frame < 200
    assert cost.ms_per_second_of_video == pytest.approx(cost.ms_per_frame * 15, rel=0.05)
    assert cost.cameras_per_core == pytest.approx(1000 / cost.ms_per_second_of_video)
    assert cost.decoded_frames_per_core_second == pytest.approx(1000 / cost.ms_per_frame)


def test_loops_a_short_clip_to_the_requested_length(reference_clip: Path) -> None:
    cost = measure_decode_cost(reference_clip, analyze_fps=None, seconds=5)  # clip is 4 s
    assert cost.frames_decoded == cost.frames_converted == 75


@pytest.mark.slow
def test_reference_camera_decode_cost_report(tmp_path: Path) -> None:
    """The planner's number: 10 s of the 1280x720 15 fps reference camera (run with -m slow)."""
    clip = tmp_path / "reference-720p.mp4"
    write_reference_clip(clip, seconds=10.0)
    for analyze_fps in (2.0, None):
        cost = measure_decode_cost(clip, analyze_fps=analyze_fps, seconds=30)
        print(
            f"analyze_fps={analyze_fps}: {cost.ms_per_frame:.2f} ms/frame, "
            f"{cost.decoded_frames_per_core_second:.0f} decoded frames/s per core, "
            f"{cost.ms_per_second_of_video:.1f} ms CPU per second of video, "
            f"{cost.cameras_per_core:.1f} cameras per core"
        )
        assert cost.cameras_per_core > 1

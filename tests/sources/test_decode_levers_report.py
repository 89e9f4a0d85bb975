"""The side-by-side decode measurement behind BENCHMARKS.md "Decode levers" (run with -m slow)."""

from __future__ import annotations

from pathlib import Path

import pytest

from camfleet.sources.decode_levers import measure_levers


@pytest.mark.slow
def test_substream_and_keyframes_cost_less_than_the_main_stream(tmp_path: Path) -> None:
    results = measure_levers(tmp_path, seconds=5.0, repeat=1)
    main = results["main_1280x720"]["ms_per_second_of_video"]
    assert results["sub_640x360"]["ms_per_second_of_video"] < 0.6 * main
    assert results["main_keyframes_only"]["ms_per_second_of_video"] < 0.5 * main
    assert (results["sub_640x360"]["width"], results["sub_640x360"]["height"]) == (640, 360)

"""``run_bench`` end to end on a tiny model: real trial processes, both modes, the profile."""

from __future__ import annotations

import json
from pathlib import Path

import onnx
import pytest
from modelkit import tiny_detect_model

from camfleet.bench.run import BenchOptions, run_bench
from camfleet.planner.profile import parse_profile

MODE_FIELDS = {"capacity", "p50_ms", "p99_ms", "img_s", "shed_pct", "rss_mb",
               "rss_mb_per_camera"}


@pytest.mark.timeout(120)
def test_profile_has_the_documented_fields_and_loads_as_a_plan_input(tmp_path: Path) -> None:
    model = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(), model)  # static batch 1: rewritten on load
    lines: list[str] = []
    trials: list[object] = []
    profile = run_bench(
        BenchOptions(
            model_path=model,
            source="synthetic:64x48@10",
            analyze_fps=2.0,
            duration_s=1.5,
            warmup_s=0.5,
            max_cameras=3,
            max_timeslice_cameras=2,
            max_batch=2,
            max_trials=2,
            ceiling_s=0.3,
            cache_dir=tmp_path / "cache",
            decode_s=0.0,
        ),
        log=lines.append,
        on_trial=trials.append,
    )
    for field in ("machine", "provider", "model", "analyze_fps", "slo_ms", "duration_s",
                  "ceiling_img_s", "modes"):
        assert field in profile, field
    assert profile["model"] == "tiny.onnx" and profile["duration_s"] == 1.5
    assert profile["ceiling_img_s"] > 0
    for mode in ("shared", "timeslice"):
        entry = profile["modes"][mode]
        assert entry.keys() >= MODE_FIELDS, mode
        assert 1 <= entry["capacity"] <= (3 if mode == "shared" else 2)
        assert entry["img_s"] > 0 and entry["rss_mb"] > 0
        trial = entry["trials"][0]
        assert trial["stage_p50_ms"]["inference"] > 0
    assert len(trials) >= 2
    assert any("searching capacity: timeslice" in line for line in lines)
    assert profile["saturation"]["img_s"] > 0
    parse_profile(json.loads(json.dumps(profile)), "test profile")

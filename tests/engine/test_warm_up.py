"""Warm-up measures real batch costs, and a lane's batcher starts from them."""

from __future__ import annotations

from pathlib import Path

import onnx
from modelkit import tiny_detect_model

from camfleet.engine.batcher import BatchPolicy
from camfleet.engine.lane import ModelLane
from camfleet.engine.metrics import FleetMetrics
from camfleet.engine.shared import warm_up
from camfleet.model import Detector


def test_warm_up_times_powers_of_two_up_to_max_batch_and_seeds_the_lane(tmp_path: Path) -> None:
    model = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(), model)
    detector = Detector.load(model, max_batch=6, cache_dir=tmp_path / "cache", threads=1)
    timings = warm_up(detector, shape=(48, 64))
    assert sorted(timings) == [1, 2, 4, 6]
    assert all(seconds > 0 for seconds in timings.values())
    lane = ModelLane(
        "m", detector, BatchPolicy(max_batch=6, max_wait_s=0.01), slo_s=0.5,
        metrics=FleetMetrics(), on_done=lambda work, found: None, capacity=12,
        prior_latency=timings,
    )
    assert lane.latency.snapshot() == timings
    detector.close()

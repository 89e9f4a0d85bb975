"""The simulator against measurements: this CPU's bench, and the seed's time-slicing curve."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from camfleet.simulate import SimulateOptions, device_from_profile
from camfleet.simulate.profile import simulate_capacity
from camfleet.simulate.seed import simulate_seed_curve

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
# Two full CPU benches of the same configuration (YOLOv8n, reference scene, 2 fps, 60 s
# trials): their capacities differ by up to 2 cameras, so each prediction is judged against
# the mean of both runs.
CPU_RUNS = ("cpu-yolov8n-2fps-reference.json", "cpu-yolov8n-2fps-reference-gating-off-repeat.json")


def _load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((BENCHMARKS / name).read_text(encoding="utf-8"))
    return data


@pytest.mark.parametrize("mode", ["shared", "timeslice"])
@pytest.mark.parametrize("run", CPU_RUNS)
def test_fed_a_cpu_bench_it_predicts_the_cpu_capacity_within_15_percent(
    run: str, mode: str
) -> None:
    measured = sum(_load(name)["modes"][mode]["capacity"] for name in CPU_RUNS) / len(CPU_RUNS)
    device = device_from_profile(_load(run), origin=run)
    result, _ = simulate_capacity(device, mode, SimulateOptions())  # type: ignore[arg-type]
    assert abs(result.capacity - measured) / measured <= 0.15, (result.capacity, measured)


def test_fed_the_single_pod_latency_it_reproduces_the_seed_curve_within_15_percent() -> None:
    decode = _load(CPU_RUNS[0])["decode"]["ms_per_second_of_video"]
    points = simulate_seed_curve(decode_ms_per_camera_s=decode)
    assert [p.pods for p in points] == [1, 20, 54]
    for point in points:
        assert abs(point.error_pct) <= 15.0, point

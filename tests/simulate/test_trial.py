"""Simulated trials on an exact device: the real batcher's behaviour, no sleeping."""

from __future__ import annotations

import time

import pytest

from camfleet.simulate.device import DeviceModel
from camfleet.simulate.trial import Workload, simulate_trial


def _device(seconds: float = 0.1, streams: int = 2, max_batch: int = 1,
            per_item: float = 0.0) -> DeviceModel:
    curve = {1: seconds}
    if max_batch > 1:
        curve[max_batch] = seconds + per_item * (max_batch - 1)
    return DeviceModel(name="exact", kind="cpu", batch_s=curve, max_batch=max_batch,
                       streams=streams, jitter=0.0, host_vcpus=streams,
                       decode_ms_per_camera_s=0.0, cpu_bound=False)


def test_under_capacity_every_frame_is_analysed_in_one_run_time() -> None:
    started = time.monotonic()
    trial = simulate_trial(_device(), Workload(cameras=6, analyze_fps=2, duration_s=60), "shared")
    assert time.monotonic() - started < 5.0  # 60 simulated seconds, no sleeping
    assert trial.passed
    assert trial.shed == trial.dropped == 0
    assert trial.analysed == pytest.approx(6 * 2 * 60, abs=12)
    assert trial.p50_ms == pytest.approx(102.0, abs=15.0)  # host delay + one 100 ms run


def test_overload_sheds_and_fails_the_slo() -> None:
    # 2 streams x 10 img/s = 20 img/s; 15 cameras at 2 fps offer 30.
    trial = simulate_trial(_device(), Workload(cameras=15, analyze_fps=2, duration_s=30),
                           "shared")
    assert not trial.passed
    assert trial.shed_pct > 20.0
    assert trial.img_s == pytest.approx(20.0, rel=0.05)
    assert trial.p99_ms <= 500.0  # shed, not served late


def test_a_batching_device_fills_its_batches_under_load() -> None:
    device = _device(seconds=0.02, streams=1, max_batch=16, per_item=0.004)
    # Full batches: 16 per 80 ms = 200 img/s; 80 cameras offer 160.
    trial = simulate_trial(device, Workload(cameras=80, analyze_fps=2, duration_s=20),
                           "shared")
    assert trial.mean_batch > 8
    assert trial.passed


def test_gating_skips_that_share_of_frames() -> None:
    trial = simulate_trial(
        _device(), Workload(cameras=4, analyze_fps=2, duration_s=60, gating_fraction=0.5),
        "shared",
    )
    assert trial.gated / trial.sampled == pytest.approx(0.5, abs=0.05)


def test_timeslice_pods_share_the_cores_and_drop_their_oldest_frames() -> None:
    light = simulate_trial(_device(), Workload(cameras=2, analyze_fps=2, duration_s=30),
                           "timeslice")
    assert light.passed and light.p50_ms == pytest.approx(102.0, abs=5.0)
    heavy = simulate_trial(_device(), Workload(cameras=30, analyze_fps=2, duration_s=30),
                           "timeslice")
    assert heavy.dropped > 0 and not heavy.passed
    assert heavy.img_s == pytest.approx(20.0, rel=0.05)


def test_unknown_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="shared or timeslice"):
        simulate_trial(_device(), Workload(cameras=1, analyze_fps=2), "batch")


def test_the_same_seed_gives_the_same_trial() -> None:
    device = DeviceModel(name="noisy", kind="cpu", batch_s={1: 0.1}, max_batch=1, streams=2,
                         jitter=0.3, host_vcpus=2, decode_ms_per_camera_s=0.0,
                         cpu_bound=False)
    workload = Workload(cameras=8, analyze_fps=2, duration_s=20, seed=7)
    first, again = (simulate_trial(device, workload, "shared") for _ in range(2))
    assert first == again
    other = simulate_trial(device, Workload(cameras=8, analyze_fps=2, duration_s=20, seed=8),
                           "shared")
    assert other.p99_ms != first.p99_ms

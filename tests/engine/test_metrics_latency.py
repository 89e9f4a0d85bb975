"""FleetMetrics: two honest latencies, per-model numbers, and cameras that come and go."""

from __future__ import annotations

import math

from camfleet.engine.metrics import FleetMetrics


def test_result_and_committed_latencies_are_separate_histograms_and_percentiles(clock) -> None:
    metrics = FleetMetrics(clock=clock)
    metrics.add_camera("cam")
    for ms in range(1, 101):
        metrics.count("cam", "sampled")
        metrics.result_latency("cam", ms / 1000)
        metrics.committed_latency("cam", (ms + 200) / 1000)
    clock.advance(10.0)
    snapshot = metrics.snapshot()
    (cam,) = snapshot.cameras
    assert cam.analysed == 100 and cam.fps_in == 10.0 and cam.fps_analysed == 10.0
    assert math.isclose(cam.p50_ms, 50.5) and math.isclose(cam.committed_p50_ms, 250.5)
    assert snapshot.latency_p99_ms < 101 < snapshot.committed_p99_ms
    assert snapshot.committed_samples == 100
    registry = metrics.registry
    assert registry.get_sample_value(
        "camfleet_capture_to_result_seconds_count", {"camera": "cam"}) == 100
    committed = "camfleet_capture_to_committed_seconds_bucket"
    assert registry.get_sample_value(committed, {"camera": "cam", "le": "0.2"}) == 0
    assert registry.get_sample_value(committed, {"camera": "cam", "le": "0.5"}) == 100


def test_model_snapshot_counts_images_batches_and_queue_depth(clock) -> None:
    metrics = FleetMetrics(clock=clock)
    metrics.batch("yolo", 4, inference_s=0.020)
    metrics.batch("yolo", 4, inference_s=0.030)
    metrics.batch("yolo", 1, inference_s=0.010)
    metrics.queue_depth("yolo", 7)
    clock.advance(2.0)
    (model,) = metrics.snapshot().models
    assert model.model_id == "yolo" and model.images == 9 and model.images_per_s == 4.5
    assert model.batch_histogram == {4: 2, 1: 1}
    assert model.queue_depth == 7
    assert math.isclose(model.p50_inference_ms, 20.0)
    metrics.reset_window()
    (model,) = metrics.snapshot().models
    assert model.images == 0 and model.queue_depth == 7


def test_a_removed_camera_loses_its_series_and_ignores_late_results(clock) -> None:
    metrics = FleetMetrics(clock=clock)
    metrics.add_camera("gone")
    metrics.result_latency("gone", 0.1)
    metrics.camera_state("gone", "streaming")
    metrics.remove_camera("gone")
    metrics.count("gone", "shed")  # a frame still in flight when it was removed
    metrics.result_latency("gone", 0.1)
    metrics.committed_latency("gone", 0.2)
    assert metrics.snapshot().cameras == ()
    exposition = {s.name for m in metrics.registry.collect() for s in m.samples
                  if s.labels.get("camera") == "gone"}
    assert exposition == set()
    metrics.add_camera("gone")  # the same id added again counts afresh
    metrics.result_latency("gone", 0.1)
    assert metrics.snapshot().cameras[0].analysed == 1


def test_snapshot_computes_percentiles_after_releasing_the_lock(clock, monkeypatch) -> None:
    from camfleet.engine import metrics as metrics_module

    metrics = FleetMetrics(clock=clock)
    metrics.result_latency("cam", 0.1)
    metrics.batch("m", 2, inference_s=0.01)
    held_during: list[bool] = []
    real = metrics_module.percentile_ms

    def spying(samples, q):  # type: ignore[no-untyped-def]
        held_during.append(metrics._lock.locked())
        return real(samples, q)

    monkeypatch.setattr(metrics_module, "percentile_ms", spying)
    snapshot = metrics.snapshot()
    assert snapshot.latency_p50_ms == 100.0
    assert held_during and not any(held_during)

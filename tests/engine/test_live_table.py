"""The live table shows both latencies per camera and a row per model."""

from __future__ import annotations

from rich.console import Console

from camfleet.commands._live import LiveTable
from camfleet.engine.metrics import FleetMetrics


def test_live_table_shows_result_and_commit_latency_and_models(clock) -> None:
    metrics = FleetMetrics(clock=clock)
    metrics.add_camera("dock-3")
    for _ in range(10):
        metrics.count("dock-3", "sampled")
        metrics.result_latency("dock-3", 0.040)
        metrics.committed_latency("dock-3", 0.750)
    metrics.batch("yolo", 8, inference_s=0.012)
    metrics.batch("yolo", 2, inference_s=0.004)
    clock.advance(5.0)
    console = Console(width=200, record=True)
    console.print(LiveTable("t").render(metrics.snapshot(), whole_run=True))
    text = console.export_text()
    camera_row = next(line for line in text.splitlines() if "dock-3" in line)
    assert "40" in camera_row and "750" in camera_row  # p50/p99 40 ms, commit p99 750 ms
    assert "commit p99 ms" in text
    model_row = next(line for line in text.splitlines() if "yolo" in line)
    assert "2.0" in model_row  # 10 images over 5 s
    assert "8x1" in model_row and "2x1" in model_row

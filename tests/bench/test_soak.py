"""Soak: the analysis finds a leak as a slope, and two minutes of a real fleet show none."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import onnx
import pytest
from modelkit import tiny_detect_model

from camfleet.bench.soak import SoakSample, analyse_soak


def samples(rss_per_s: float, fds_every_s: float | None = None) -> list[SoakSample]:
    return [
        SoakSample(
            elapsed_s=float(t), rss_mb=300.0 + rss_per_s * t,
            open_fds=20 + (int(t // fds_every_s) if fds_every_s else 0), threads=30,
            p99_ms=100.0 + (50.0 if t > 200 else 0.0), analysed=10 * t,
        )
        for t in range(0, 301, 10)
    ]


def test_a_steady_process_has_flat_slopes() -> None:
    report = analyse_soak(samples(0.0), cameras=4, duration_s=300, warmup_s=30)
    assert report.rss_slope_mb_per_min == pytest.approx(0.0, abs=1e-9)
    assert report.fds_range == (20, 20) and report.threads_range == (30, 30)
    assert report.analysed_per_s == pytest.approx(10.0)


def test_a_leak_shows_as_a_slope_and_drift_as_a_ratio() -> None:
    report = analyse_soak(samples(0.05, fds_every_s=30.0), cameras=4, duration_s=300,
                          warmup_s=30)
    assert report.rss_slope_mb_per_min == pytest.approx(3.0, rel=1e-6)  # 0.05 MB/s
    assert report.fds_slope_per_min == pytest.approx(2.0, rel=0.1)
    assert report.p99_drift_ratio == pytest.approx(1.5)


def test_two_minutes_of_eight_cameras_with_storage_do_not_grow(tmp_path: Path) -> None:
    """The CI soak: 8 live 720p cameras, storage on, 30 s warm-up then 90 s measured."""
    model = tmp_path / "tiny.onnx"
    onnx.save(tiny_detect_model(), model)
    out = tmp_path / "soak.json"
    result = subprocess.run(
        [sys.executable, "-m", "camfleet", "soak", "--model", str(model), "--cameras", "8",
         "--source", "synthetic:1280x720@15", "--duration", "90", "--warmup", "30",
         "--sample-s", "5", "--json", str(out), "--data-dir", str(tmp_path / "data")],
        capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(out.read_text())
    # Stated bounds: memory grows by less than 4 MB a minute once warm (a leak of one frame
    # per camera per second would be ~1,600 MB/min), no file descriptor or thread accumulates,
    # and the p99 stays within the SLO at the end.
    assert report["rss_slope_mb_per_min"] < 4.0, report
    assert report["fds_range"][1] - report["fds_range"][0] <= 2, report
    assert report["threads_range"][1] - report["threads_range"][0] <= 2, report
    assert report["p99_last_third_ms"] < 500.0, report
    assert report["analysed_per_s"] > 8 * 2 * 0.9, report

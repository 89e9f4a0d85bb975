"""Liveness: /healthz turns unhealthy when a stage holding work stops making progress, and a
worker with many cameras stops well inside Kubernetes' 30 s termination grace period."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from runtime_helpers import TimingSink, camera, tiny_fleet, tiny_model, wait_until

from camfleet.engine import SharedEngine
from camfleet.engine.http import WorkerHttpServer
from camfleet.engine.models import load_fleet_models
from camfleet.engine.progress import Heartbeat

STALL_LIMIT_S = 1.0


class HangableDetector:
    """The real detector, whose inference blocks while ``hang`` is set."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.hang = threading.Event()
        self.release = threading.Event()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)

    def infer(self, batch: Any) -> Any:
        if self.hang.is_set():
            self.release.wait(30)
        return self._real.infer(batch)


def status(port: int) -> int:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as reply:
            return int(reply.status)
    except urllib.error.HTTPError as error:
        return int(error.code)


def test_healthz_fails_while_a_lane_hangs_and_recovers_after(tmp_path: Path) -> None:
    fleet = tiny_fleet(tiny_model(tmp_path), [camera("cam0"), camera("cam1")])
    real = load_fleet_models(fleet, tmp_path / "cache")["tiny"]
    detector = HangableDetector(real)
    sink = TimingSink()
    engine = SharedEngine(fleet, sink=sink, detectors={"tiny": detector})  # type: ignore[dict-item]
    server = WorkerHttpServer(
        engine.metrics.registry, healthy=lambda: engine.last_progress_age_s() < STALL_LIMIT_S,
        ready=lambda: True, host="127.0.0.1", port=0,
    )
    server.start()
    engine.start()
    try:
        assert wait_until(lambda: len(sink.times("cam0")) >= 2, 10)
        assert status(server.port) == 200
        detector.hang.set()
        assert wait_until(lambda: engine.last_progress_age_s() > STALL_LIMIT_S, 10)
        assert status(server.port) == 503
        detector.hang.clear()
        detector.release.set()
        assert wait_until(lambda: engine.last_progress_age_s() < STALL_LIMIT_S, 10)
        assert status(server.port) == 200
    finally:
        detector.hang.clear()
        detector.release.set()
        engine.stop(drain=False)
        server.stop()
        real.close()


def test_an_idle_stage_is_never_stalled_and_a_busy_one_is() -> None:
    now = [100.0]
    beat = Heartbeat(clock=lambda: now[0])
    now[0] += 50
    assert beat.stall_s() == 0.0  # idle for 50 s: fine
    beat.begin()
    now[0] += 3
    assert beat.stall_s() == pytest.approx(3.0)  # counted from when work arrived
    beat.done()
    assert beat.stall_s() == 0.0


def test_a_hundred_cameras_stop_well_inside_the_termination_grace(tmp_path: Path) -> None:
    cameras = [camera(f"cam{i:03d}", fps=1.0) for i in range(100)]
    engine = SharedEngine(tiny_fleet(tiny_model(tmp_path), cameras),
                          cache_dir=tmp_path / "cache")
    engine.start()
    try:
        assert wait_until(
            lambda: sum(c.state == "streaming" for c in engine.metrics.snapshot().cameras)
            == 100,
            30,
        )
    finally:
        started = time.monotonic()
        engine.stop(drain=True)
        took = time.monotonic() - started
    # Readers are stopped together, then joined: about one frame period, not 100 of them.
    assert took < 10.0, f"stopping 100 cameras took {took:.1f} s"
    states = {c.state for c in engine.metrics.snapshot().cameras}
    assert states == {"stopped"}

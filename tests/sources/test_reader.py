"""CameraReader threads: delivery, backoff and isolation between cameras."""

from __future__ import annotations

import itertools
import logging
import time
from pathlib import Path

import pytest

from camfleet.errors import SourceError
from camfleet.frames import Frame
from camfleet.sources import CameraReader, FrameSlot, Source, backoff_delay, open_source

from .servers import wait_until


@pytest.mark.parametrize(
    ("failures", "expected"), [(1, 1.0), (2, 2.0), (3, 4.0), (5, 16.0), (6, 30.0), (60, 30.0)]
)
def test_backoff_doubles_up_to_the_cap(failures: int, expected: float) -> None:
    assert backoff_delay(failures, 1.0, 30.0) == expected


def test_rejects_bad_backoff() -> None:
    with pytest.raises(ValueError, match="reconnect_backoff_s"):
        CameraReader("cam1", lambda: open_source("synthetic:8x8@1", "cam1"), None, (2.0, 1.0))


def test_a_file_is_read_to_its_end(bikes: Path) -> None:
    slot = FrameSlot(capacity=2)
    reader = CameraReader("cam1", lambda: open_source(str(bikes), "cam1"), slot)
    reader.start()
    assert wait_until(lambda: reader.status.state == "ended", timeout_s=30)
    status = reader.status
    assert status.frames_read == 250
    assert status.frames_dropped == 248 == slot.dropped  # nobody consumed: oldest dropped
    assert len(slot) == 2 and status.reconnects == 0 and status.last_error is None
    kept = [slot.get_nowait(), slot.get_nowait()]
    assert [f.seq for f in kept if f] == [248, 249]
    assert reader.stop(timeout=2) and reader.status.state == "ended"


def test_a_dead_camera_retries_with_capped_backoff(
    closed_port: int, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"rtsp://127.0.0.1:{closed_port}/x"
    reader = CameraReader(
        "dock-3",
        lambda: open_source(url, "dock-3", open_timeout_s=1.0),
        reconnect_backoff_s=(0.05, 0.2),
        reconnect_jitter=0.0,
    )
    with caplog.at_level(logging.WARNING, logger="camfleet.sources.reader"):
        reader.start()
        assert wait_until(lambda: reader.status.reconnects >= 4, timeout_s=10)
        status = reader.status
        now = time.monotonic()
        assert reader.stop(timeout=2)
    assert status.state in {"retrying", "connecting"}
    assert status.last_error is not None and "camera 'dock-3': cannot open" in status.last_error
    if status.next_retry_at is not None:
        assert status.next_retry_at <= now + 0.2 + 1e-3
    assert status.frames_read == 0
    lines = [r.getMessage() for r in caplog.records]
    assert lines and all("\n" not in line and "(retrying in" in line for line in lines)
    assert "(retrying in 0.05 s)" in lines[0] and "(retrying in 0.2 s)" in lines[-1]
    assert reader.status.state == "stopped" and not reader.is_alive


class FailsAfter(Source):
    """A synthetic camera that fails after ``frames`` frames, like a stream that drops."""

    def __init__(self, camera_id: str, frames: int) -> None:
        super().__init__(camera_id)
        self._inner = open_source("synthetic:32x24@100", camera_id, realtime=True)
        self._frames_left = frames

    width = property(lambda self: 32)
    height = property(lambda self: 24)
    native_fps = property(lambda self: 100.0)

    def read(self) -> Frame | None:
        if self._frames_left == 0:
            raise SourceError(f"camera '{self.camera_id}': lost synthetic: dropped; wait")
        self._frames_left -= 1
        return self._inner.read()

    def close(self) -> None:
        self._inner.close()


def test_backs_off_while_failing_and_starts_over_after_frames(
    caplog: pytest.LogCaptureFixture,
) -> None:
    attempts: list[float] = []

    def flaky() -> Source:
        attempts.append(time.monotonic())
        if len(attempts) in (1, 2, 3):
            raise SourceError("camera 'cam1': cannot open synthetic: not yet; wait")
        return FailsAfter("cam1", frames=5 if len(attempts) == 4 else 1000)

    reader = CameraReader("cam1", flaky, reconnect_backoff_s=(0.1, 5.0), reconnect_jitter=0.0)
    with caplog.at_level(logging.WARNING, logger="camfleet.sources.reader"):
        reader.start()
        assert wait_until(lambda: reader.status.frames_read >= 10, timeout_s=10)
        reader.stop()
        status = reader.status
    latest = [reader.slot.get_nowait(), reader.slot.get_nowait()]
    assert [f.seq for f in latest if f] == [status.frames_read - 2, status.frames_read - 1]
    assert status.state == "stopped" and status.reconnects == 4
    assert status.last_error == "camera 'cam1': lost synthetic: dropped; wait"
    delays = [b - a for a, b in itertools.pairwise(attempts)]
    assert delays[0] >= 0.09 and delays[1] >= 0.19 and delays[2] >= 0.39  # doubling
    assert [r.getMessage().rsplit("(", 1)[1] for r in caplog.records] == [
        "retrying in 0.1 s)",
        "retrying in 0.2 s)",
        "retrying in 0.4 s)",
        "retrying in 0.1 s)",  # frames arrived in between: back to the base delay
    ]


def test_unexpected_exceptions_never_kill_the_thread() -> None:
    class Broken(Source):
        width = height = 8  # type: ignore[assignment]
        native_fps = 1.0  # type: ignore[assignment]

        def read(self) -> Frame | None:
            raise RuntimeError("decoder exploded")

        def close(self) -> None:
            pass

    reader = CameraReader("cam1", lambda: Broken("cam1"), reconnect_backoff_s=(0.05, 0.05))
    reader.start()
    assert wait_until(lambda: reader.status.reconnects >= 2, timeout_s=5)
    assert reader.is_alive
    message = reader.status.last_error
    reader.stop()
    assert message == "camera 'cam1': source failed: RuntimeError: decoder exploded"


def test_a_dead_camera_never_blocks_a_live_one(bikes: Path, silent_port: int) -> None:
    """One camera hangs in its open timeout; the other keeps its 25 fps on its own thread."""
    dead = CameraReader(
        "dead",
        lambda: open_source(
            f"rtsp://127.0.0.1:{silent_port}/x", "dead", open_timeout_s=3, read_timeout_s=3
        ),
        reconnect_backoff_s=(0.1, 0.5),
    )
    live_slot = FrameSlot(capacity=4)
    live = CameraReader(
        "live",
        lambda: open_source(str(bikes), "live", loop=True, realtime=True),
        live_slot,
    )
    dead.start()
    live.start()
    try:
        received: list[Frame] = []
        deadline = time.monotonic() + 2.0
        while time.monotonic() < deadline:
            frame = live_slot.get(timeout=0.2)
            if frame is not None:
                received.append(frame)
        assert dead.status.state in {"connecting", "retrying"} and dead.status.frames_read == 0
        assert len(received) >= 40  # 25 fps for 2 s, with room for a busy machine
        assert live_slot.dropped <= 2
        gaps = [b.captured_at - a.captured_at for a, b in itertools.pairwise(received)]
        assert max(gaps) < 0.5
    finally:
        live.stop()
        dead.stop(timeout=4)


def test_stop_before_start_and_during_backoff(closed_port: int) -> None:
    idle = CameraReader("cam1", lambda: open_source("synthetic:8x8@5", "cam1"))
    assert idle.stop() and idle.status.state == "stopped"
    reader = CameraReader(
        "cam2",
        lambda: open_source(f"rtsp://127.0.0.1:{closed_port}/x", "cam2"),
        reconnect_backoff_s=(30.0, 30.0),
    )
    reader.start()
    assert wait_until(lambda: reader.status.state == "retrying", timeout_s=5)
    started = time.monotonic()
    assert reader.stop(timeout=2)
    assert time.monotonic() - started < 1.0
    assert reader.status.state == "stopped"


def test_jitter_spreads_reconnects_within_its_bounds() -> None:
    import random

    from camfleet.sources.reader import jittered

    rng = random.Random(7)
    delays = [jittered(8.0, 0.2, rng) for _ in range(200)]
    assert all(6.4 <= d <= 8.0 for d in delays)
    assert max(delays) - min(delays) > 1.0  # cameras that failed together do not retry together

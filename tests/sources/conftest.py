"""Fixtures for the source tests: clips on disk and real servers on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from camfleet.paths import BUNDLED_CLIPS
from camfleet.sources import write_reference_clip

from .servers import RtspServer, free_port, rtsp_server_unavailable


@pytest.fixture(scope="session")
def bikes() -> Path:
    """The bundled street clip: 640x272, 25 fps, 250 frames, index (moov) at the end."""
    return BUNDLED_CLIPS[0]


@pytest.fixture(scope="session")
def reference_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s of the reference camera: bikes.mp4 at 1280x720, 15 fps, H.264, index first."""
    path = tmp_path_factory.mktemp("clips") / "reference-720p.mp4"
    write_reference_clip(path, seconds=4.0)
    return path


@pytest.fixture(scope="session")
def rtsp_ready() -> None:
    reason = rtsp_server_unavailable()
    if reason is not None:
        pytest.skip(reason)


@pytest.fixture
def live_rtsp(rtsp_ready: None) -> Iterator[RtspServer]:
    """A live x264 test pattern (320x240, 15 fps) over RTSP."""
    server = RtspServer(free_port())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def clip_rtsp(rtsp_ready: None, reference_clip: Path) -> Iterator[RtspServer]:
    """The 720p reference clip's H.264 served as is over RTSP (played once)."""
    server = RtspServer(free_port(), clip=reference_clip)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A TCP port that accepts connections and never says a word (a hung camera)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(16)
        yield int(listener.getsockname()[1])


@pytest.fixture
def closed_port() -> int:
    """A port nothing listens on (connection refused)."""
    return free_port()

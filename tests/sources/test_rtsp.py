"""Against a real RTSP server (GStreamer's gst-rtsp-server) on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from camfleet.sources import CameraReader, FrameSlot, PyAVSource, open_source

from .servers import RtspServer, wait_until

pytestmark = pytest.mark.rtsp


def test_reads_a_live_stream_over_tcp(live_rtsp: RtspServer) -> None:
    with open_source(live_rtsp.url, "cam1", open_timeout_s=10, read_timeout_s=5) as source:
        assert (source.width, source.height, source.native_fps) == (320, 240, 15.0)
        frames = [source.read() for _ in range(30)]
    assert [f.seq for f in frames if f is not None] == list(range(30))
    # Frames buffered while FFmpeg probed the stream arrive at once; after that, live pace.
    first, last = frames[19], frames[29]
    assert first is not None and last is not None
    assert 0.4 < last.captured_at - first.captured_at < 2.0  # 10 intervals at 15 fps


def test_pixels_survive_the_trip(clip_rtsp: RtspServer, reference_clip: Path) -> None:
    """The server forwards the clip's H.264 untouched, so decoded frames match the file's."""
    with av.open(str(reference_clip)) as container:
        expected = [
            f.to_ndarray(format="bgr24")
            for _, f in zip(range(5), container.decode(video=0), strict=False)
        ]
    with open_source(clip_rtsp.url, "cam1", open_timeout_s=10, read_timeout_s=5) as source:
        assert (source.width, source.height) == (1280, 720)
        frame = source.read()
    assert frame is not None
    difference = [np.abs(frame.image.astype(np.int16) - e).mean() for e in expected]
    assert min(difference) < 0.5


def test_samples_a_live_stream_by_presentation_time(live_rtsp: RtspServer) -> None:
    with PyAVSource(live_rtsp.url, "cam1", analyze_fps=5, read_timeout_s=5) as source:
        frames = [source.read() for _ in range(4)]
        decoded = source.frames_decoded
    assert all(f is not None for f in frames)
    assert 9 <= decoded <= 12  # 15 fps sampled to 5: three decoded per one taken


def test_reader_reconnects_after_the_server_restarts(live_rtsp: RtspServer) -> None:
    reader = CameraReader(
        "cam1",
        lambda: open_source(live_rtsp.url, "cam1", open_timeout_s=5, read_timeout_s=2),
        FrameSlot(capacity=2),
        reconnect_backoff_s=(0.2, 1.0),
    )
    reader.start()
    try:
        assert wait_until(lambda: reader.status.frames_read >= 5, timeout_s=15)
        assert reader.status.state == "streaming"
        live_rtsp.stop(kill=True)  # the camera crashes
        assert wait_until(lambda: reader.status.state == "retrying", timeout_s=10)
        down = reader.status
        assert down.last_error is not None and "camera 'cam1'" in down.last_error
        live_rtsp.start()  # and comes back on the same address
        before = reader.status.frames_read
        assert wait_until(
            lambda: reader.status.state == "streaming" and reader.status.frames_read > before + 5,
            timeout_s=20,
        )
        assert reader.status.reconnects >= 1
    finally:
        assert reader.stop(timeout=6)

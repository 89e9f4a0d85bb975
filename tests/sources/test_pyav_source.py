"""File and network sources decoded with PyAV, against real files and real local servers."""

from __future__ import annotations

import io
import os
import time
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import pytest

from camfleet.errors import SourceError
from camfleet.sources import PyAVSource, open_source, redact_url

from .servers import HttpServer, folder_responder, mjpeg_responder, stalling_responder


def assert_one_line(exc: pytest.ExceptionInfo[SourceError], *parts: str) -> None:
    message = str(exc.value)
    assert "\n" not in message and len(message) < 300, message
    for part in parts:
        assert part in message, message


def test_reads_every_frame_of_a_file(bikes: Path) -> None:
    before = time.time()
    with PyAVSource(str(bikes), "cam1") as source:
        assert (source.width, source.height, source.native_fps) == (640, 272, 25.0)
        frames = list(source)
    assert len(frames) == 250 == source.frames_decoded
    assert [f.seq for f in frames] == list(range(250))
    assert {f.camera_id for f in frames} == {"cam1"}
    assert all(f.image.shape == (272, 640, 3) and f.image.dtype == np.uint8 for f in frames)
    captured = np.array([f.captured_at for f in frames])
    assert np.all(np.diff(captured) >= 0)
    assert before <= frames[0].wall_time <= frames[-1].wall_time <= time.time()


def test_images_are_bgr_like_opencv(bikes: Path) -> None:
    capture = cv2.VideoCapture(str(bikes))
    ok, expected = capture.read()
    capture.release()
    assert ok
    with PyAVSource(str(bikes), "cam1") as source:
        frame = source.read()
    assert frame is not None
    difference = np.abs(frame.image.astype(np.int16) - expected.astype(np.int16))
    assert difference.mean() < 2.0
    swapped = np.abs(frame.image[..., ::-1].astype(np.int16) - expected.astype(np.int16))
    assert swapped.mean() > 4 * difference.mean() + 1  # the channel order is what's tested


def test_samples_to_analyze_fps_converting_only_the_taken_frames(bikes: Path) -> None:
    with PyAVSource(str(bikes), "cam1", analyze_fps=2) as source:
        frames = list(source)
        assert source.frames_decoded == 250  # every packet decoded...
        assert source.frames_emitted == len(frames) == 20  # ...only 2 per second converted
    assert [f.seq for f in frames] == list(range(20))


def test_loop_restarts_a_file_with_a_continuous_timeline(bikes: Path) -> None:
    with PyAVSource(str(bikes), "cam1", loop=True, analyze_fps=5) as source:
        frames = [source.read() for _ in range(60)]  # 12 s of a 10 s clip
        assert source.media_time_s == pytest.approx(11.8, abs=0.05)
        assert source.frames_decoded > 250
    assert [f.seq for f in frames if f is not None] == list(range(60))


def test_realtime_paces_a_file_at_its_native_rate(bikes: Path) -> None:
    with PyAVSource(str(bikes), "cam1", realtime=True) as source:
        started = time.monotonic()
        frames = [source.read() for _ in range(13)]  # 12 intervals of 40 ms
        elapsed = time.monotonic() - started
    assert 0.45 <= elapsed < 2.0
    assert all(f is not None for f in frames)


def test_realtime_with_sampling_keeps_the_analysis_rate(bikes: Path) -> None:
    with PyAVSource(str(bikes), "cam1", realtime=True, analyze_fps=5) as source:
        first = source.read()
        frames = [source.read() for _ in range(3)]
    assert first is not None and frames[-1] is not None
    assert 0.55 <= frames[-1].captured_at - first.captured_at < 1.5


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(SourceError) as exc:
        open_source(str(tmp_path / "nope.mp4"), "cam1")
    assert_one_line(exc, "camera 'cam1'", "nope.mp4", "no such file", "check the path")


def test_garbage_file(tmp_path: Path) -> None:
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(1).bytes(200_000))
    started = time.monotonic()
    with pytest.raises(SourceError) as exc:
        open_source(str(garbage), "cam1")
    assert time.monotonic() - started < 5.0
    assert_one_line(exc, "camera 'cam1'", "garbage.mp4", "not a readable video")


def truncated_copy(clip: Path, folder: Path, fraction: float) -> Path:
    data = clip.read_bytes()
    copy = folder / f"truncated-{clip.name}"
    copy.write_bytes(data[: int(len(data) * fraction)])
    return copy


def read_until_end_or_error(source_url: str) -> tuple[int, SourceError | None]:
    frames = 0
    try:
        with open_source(source_url, "cam1", read_timeout_s=2.0) as source:
            while source.read() is not None:
                frames += 1
    except SourceError as exc:
        return frames, exc
    return frames, None


def test_truncated_bikes_is_an_error_not_a_hang(bikes: Path, tmp_path: Path) -> None:
    # bikes.mp4 keeps its index (moov) at the end: the first 30 % has no index at all.
    started = time.monotonic()
    frames, error = read_until_end_or_error(str(truncated_copy(bikes, tmp_path, 0.3)))
    assert time.monotonic() - started < 5.0
    assert frames == 0 and error is not None
    assert "not a readable video" in str(error) and "\n" not in str(error)


def test_truncated_streamable_clip_reads_up_to_the_cut(
    reference_clip: Path, tmp_path: Path
) -> None:
    started = time.monotonic()
    frames, error = read_until_end_or_error(str(truncated_copy(reference_clip, tmp_path, 0.3)))
    assert time.monotonic() - started < 10.0
    assert 0 < frames < 60
    assert error is None or "\n" not in str(error)


def test_closed_rtsp_port_fails_fast(closed_port: int) -> None:
    url = f"rtsp://127.0.0.1:{closed_port}/x"
    started = time.monotonic()
    with pytest.raises(SourceError) as exc:
        open_source(url, "cam1", open_timeout_s=2.0)
    assert time.monotonic() - started < 2.5
    assert_one_line(exc, f"camera 'cam1': cannot open {url}", "refused", "check the URL")


def test_silent_server_times_out_on_open(silent_port: int) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError) as exc:
        open_source(f"rtsp://127.0.0.1:{silent_port}/x", "cam1", open_timeout_s=1.0)
    assert 0.8 <= time.monotonic() - started < 3.0
    assert_one_line(exc, "no answer within 1 s")


def test_http_stream_that_stalls_times_out_on_read(bikes: Path) -> None:
    transport_stream = remux_to_mpegts(bikes)
    half = transport_stream[: len(transport_stream) // 2]
    with HttpServer(stalling_responder(half, "video/mp2t", stall_s=6.0)) as server:
        frames = 0
        started = time.monotonic()
        with (
            pytest.raises(SourceError) as exc,
            open_source(server.url("/live.ts"), "cam1", read_timeout_s=1.0) as source,
        ):
            while source.read() is not None:
                frames += 1
        assert time.monotonic() - started < 5.0
    assert frames > 50
    assert_one_line(exc, "camera 'cam1': lost", "no data for 1 s")


def test_http_mjpeg_camera() -> None:
    with (
        HttpServer(mjpeg_responder(frames=100)) as server,
        open_source(server.url("/video.mjpg"), "cam1", open_timeout_s=5.0) as source,
    ):
        frames = [source.read() for _ in range(5)]
    assert all(f is not None and f.image.shape == (240, 320, 3) for f in frames)
    first = frames[0]
    assert first is not None
    assert first.image[:, :160, 2].mean() > 240  # left half red in BGR order


def test_a_network_stream_that_ends_is_an_error() -> None:
    with (
        HttpServer(mjpeg_responder(frames=3, fps=100)) as server,
        open_source(server.url("/video.mjpg"), "cam1") as source,
        pytest.raises(SourceError, match="after 3 frames"),
    ):
        while source.read() is not None:
            pass


def test_password_never_reaches_messages(closed_port: int) -> None:
    url = f"rtsp://admin:s3cret@127.0.0.1:{closed_port}/x"
    assert redact_url(url) == f"rtsp://admin:***@127.0.0.1:{closed_port}/x"
    with pytest.raises(SourceError) as exc:
        open_source(url, "cam1", open_timeout_s=2.0)
    assert "s3cret" not in str(exc.value) and "admin:***@" in str(exc.value)


def test_read_after_close(bikes: Path) -> None:
    source = PyAVSource(str(bikes), "cam1")
    source.close()
    source.close()
    with pytest.raises(SourceError, match="after close"):
        source.read()


def remux_to_mpegts(clip: Path) -> bytes:
    buffer = io.BytesIO()
    with av.open(str(clip)) as src, av.open(buffer, "w", format="mpegts") as out:
        video = src.streams.video[0]
        target = out.add_stream_from_template(video)
        for packet in src.demux(video):
            if packet.dts is not None:
                packet.stream = target
                out.mux(packet)
    return buffer.getvalue()


def test_file_url_scheme(bikes: Path) -> None:
    with open_source(f"file://{os.fspath(bikes)}", "cam1", analyze_fps=1) as source:
        assert len(list(source)) == 10


def write_variable_rate_clip(path: Path, gaps_ms: list[int]) -> None:
    """An H.264 MP4 whose frames are ``gaps_ms`` apart (a camera that varies its rate)."""
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25, options={"preset": "ultrafast"})
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        stream.codec_context.time_base = Fraction(1, 1000)
        pts = 0
        for index, gap in enumerate(gaps_ms):
            image = np.zeros((48, 64, 3), np.uint8)
            image[:, index % 64] = 255  # a bar that moves one column per frame
            frame = av.VideoFrame.from_ndarray(image, format="bgr24")
            frame.pts, frame.time_base = pts, Fraction(1, 1000)
            container.mux(stream.encode(frame))
            pts += gap
        container.mux(stream.encode(None))


def test_sampling_follows_presentation_time_not_frame_count(tmp_path: Path) -> None:
    # 10 s: the first 5 s at 50 fps, the last 5 s at 5 fps. A counter would take 20 of the 275
    # frames from the first 4 s; the clock takes 2 per second throughout.
    gaps = [20] * 250 + [200] * 25
    clip = tmp_path / "vfr.mp4"
    write_variable_rate_clip(clip, gaps)
    with PyAVSource(str(clip), "cam1", analyze_fps=2) as source:
        taken = [f.image for f in source]
        assert source.frames_decoded == 275
    with PyAVSource(str(clip), "cam1") as source:
        every = [f.image for f in source]
    # The first frame at or after each half second: 0, 0.5 ... 4.5 s at 20 ms, then 5.0 s,
    # 5.6 s (first at or after 5.5), 6.0 s ... at 200 ms.
    expected = [*range(0, 250, 25), 250, 253, 255, 258, 260, 263, 265, 268, 270, 273]
    assert len(taken) == len(expected) == 20
    for image, index in zip(taken, expected, strict=True):
        np.testing.assert_array_equal(image, every[index])


def test_http_hls_stream(bikes: Path, tmp_path: Path) -> None:
    with (
        av.open(str(bikes)) as src,
        av.open(str(tmp_path / "index.m3u8"), "w", format="hls", options={"hls_time": "2"}) as out,
    ):
        video = src.streams.video[0]
        target = out.add_stream_from_template(video)
        for packet in src.demux(video):
            if packet.dts is not None:
                packet.stream = target
                out.mux(packet)
    with (
        HttpServer(folder_responder(tmp_path)) as server,
        open_source(server.url("/index.m3u8"), "cam1", analyze_fps=5, open_timeout_s=5) as source,
    ):
        assert (source.width, source.height) == (640, 272)
        frames = [source.read() for _ in range(25)]  # 5 s: across several segments
    assert [f.seq for f in frames if f is not None] == list(range(25))


def test_a_file_without_video(tmp_path: Path) -> None:
    audio_only = tmp_path / "audio.m4a"
    with av.open(str(audio_only), "w") as container:
        stream = container.add_stream("aac", rate=8000)
        samples = np.zeros((1, 8000), np.float32)
        frame = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
        frame.sample_rate = 8000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(SourceError) as exc:
        open_source(str(audio_only), "cam1")
    assert_one_line(exc, "camera 'cam1'", "has no video stream")

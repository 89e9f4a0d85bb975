"""Files and network streams (RTSP, HTTP/MJPEG/HLS, anything FFmpeg reads) decoded with PyAV.

Every packet is decoded (H.264 needs the reference frames), but only frames the sampling clock
takes are converted to BGR arrays: at ``analyze_fps=2`` on a 15 fps camera, 13 of 15 frames cost
only their decode. Opening and reading are bounded by PyAV's ``timeout=(open, read)`` (FFmpeg's
interrupt callback), and RTSP runs over TCP with a socket timeout, so a dead camera is an error
within the timeout, never a hang. Every FFmpeg failure becomes a one-line
:class:`~camfleet.errors.SourceError` naming the camera, the URL (password hidden) and a fix.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from pathlib import Path
from typing import Literal, cast
from urllib.parse import urlsplit, urlunsplit

import av
import av.error

from camfleet.errors import SourceError
from camfleet.frames import Frame
from camfleet.sources.base import Source, UInt8Image
from camfleet.sources.pacing import Pacer
from camfleet.sources.sampling import SamplingClock

__all__ = ["NETWORK_SCHEMES", "PyAVSource", "SkipFrame", "redact_url"]

# Which frames the decoder may skip: ``NONREF`` frames nothing else refers to (B-frames; a
# camera's P-only stream has none), ``NONKEY`` everything but keyframes (snapshots).
SkipFrame = Literal["NONREF", "NONKEY"]

NETWORK_SCHEMES = frozenset(
    {"rtsp", "rtsps", "rtmp", "rtmps", "http", "https", "udp", "tcp", "srt", "rtp"}
)

# A few corrupt packets are normal on a lossy link; this many in a row means the stream is junk.
_MAX_CONSECUTIVE_BAD_PACKETS = 50
_TIMEOUT_SLACK = 0.9
_RTSP_PROBE_US = 1_000_000
# libavformat 59 (FFmpeg 5) renamed RTSP's socket timeout from ``stimeout`` to ``timeout``.
_RTSP_TIMEOUT_OPTION = "timeout" if av.library_versions["libavformat"][0] >= 59 else "stimeout"


def redact_url(url: str) -> str:
    """``url`` with any password replaced by ``***``, safe for logs and error messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username}:***@{host}"))


def _scheme(url: str) -> str:
    return urlsplit(url).scheme.lower() if "://" in url else ""


def _why(exc: BaseException) -> str:
    reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
    return str(reason).strip().rstrip(".")


def _timed_out(exc: BaseException, elapsed_s: float, timeout_s: float) -> bool:
    # PyAV's timeout interrupts FFmpeg, which reports AVERROR_EXIT or, while probing, whatever
    # the half-read input looked like; only the clock tells the second case apart.
    return isinstance(exc, av.error.ExitError) or elapsed_s >= timeout_s * _TIMEOUT_SLACK


class PyAVSource(Source):
    """Frames from a file or network URL, sampled to ``analyze_fps``.

    ``loop`` restarts a file at its end (reopening it) so a clip is an endless camera; its
    presentation times keep increasing across restarts. ``realtime`` paces a file at its native
    rate (a frame is emitted when it is due), so a clip behaves like a live camera; network
    streams are paced by the sender and ignore it. A network stream that ends raises
    :class:`SourceError` (a live camera never ends on purpose); a file returns ``None``.
    ``hwaccel`` decodes on a device (``"cuda"``, ``"vaapi"``...) where FFmpeg offers it, with
    a one-line error where it does not; ``skip_frame`` lets the decoder skip frames
    (:data:`SkipFrame`).
    """

    def __init__(
        self,
        url: str,
        camera_id: str,
        *,
        analyze_fps: float | None = None,
        loop: bool = False,
        realtime: bool = False,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
        decoder_threads: int = 1,
        hwaccel: str | None = None,
        skip_frame: SkipFrame | None = None,
    ) -> None:
        super().__init__(camera_id)
        self._hwaccel = hwaccel
        self._skip_frame = skip_frame
        self.url = url.removeprefix("file://") if url.startswith("file://") else url
        self.is_network = _scheme(self.url) in NETWORK_SCHEMES
        self._shown_url = redact_url(url)
        self._loop = loop and not self.is_network
        self._open_timeout_s = open_timeout_s
        self._read_timeout_s = read_timeout_s
        self._decoder_threads = decoder_threads
        self._clock = SamplingClock(analyze_fps)
        self.frames_decoded = 0
        self._pass_offset_s = 0.0  # added to a looping file's times on each restart
        self._pass_first_s: float | None = None
        self._last_t: float | None = None
        self._pacer = Pacer() if realtime and not self.is_network else None
        self._container: av.container.InputContainer | None = None
        self._check_hwaccel_type()
        self._open()

    # -- opening ---------------------------------------------------------------------------

    def _options(self) -> dict[str, str]:
        scheme = _scheme(self.url)
        if scheme in {"rtsp", "rtsps"}:
            return {
                "rtsp_transport": "tcp",
                _RTSP_TIMEOUT_OPTION: str(int(self._read_timeout_s * 1e6)),
                # The SDP already carries the H.264 parameters; FFmpeg's default probing of the
                # live stream adds about 2 s to every (re)connect.
                "analyzeduration": str(_RTSP_PROBE_US),
            }
        if scheme in NETWORK_SCHEMES:
            return {"rw_timeout": str(int(self._read_timeout_s * 1e6))}
        return {}

    def _open(self) -> None:
        if not self.is_network and not Path(self.url).exists():
            raise SourceError(
                f"camera '{self.camera_id}': cannot open {self._shown_url}: no such file; "
                "check the path"
            )
        started = time.monotonic()
        try:
            container = self._open_container(with_hwaccel=self._hwaccel is not None)
        except (av.error.FFmpegError, OSError) as exc:
            elapsed = time.monotonic() - started
            if self._hwaccel is not None:
                self._raise_if_hwaccel_failed(exc)
            raise SourceError(self._open_failure(exc, elapsed)) from exc
        if not container.streams.video:
            container.close()
            raise SourceError(
                f"camera '{self.camera_id}': {self._shown_url} has no video stream; "
                "point the camera at a video URL or file"
            )
        stream = container.streams.video[0]
        if self._skip_frame is not None:
            stream.codec_context.skip_frame = self._skip_frame
        stream.codec_context.thread_count = self._decoder_threads
        if self._decoder_threads > 1:
            stream.codec_context.thread_type = "AUTO"
        self._container = container
        self._stream = stream
        self._frames = self._decoded_frames()
        self._pass_first_s = None
        self._pass_decoded = 0
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        self._native_fps = float(rate) if rate else 25.0  # FFmpeg's own guess when unknown
        self._width = int(stream.codec_context.width)
        self._height = int(stream.codec_context.height)

    def _open_container(self, with_hwaccel: bool) -> av.container.InputContainer:
        timeout = (self._open_timeout_s, self._read_timeout_s)
        if not with_hwaccel or self._hwaccel is None:
            return av.open(self.url, options=self._options(), timeout=timeout)
        from av.codec.hwaccel import HWAccel

        return av.open(self.url, options=self._options(), timeout=timeout,
                       hwaccel=HWAccel(self._hwaccel, allow_software_fallback=True))

    def _check_hwaccel_type(self) -> None:
        if self._hwaccel is None:
            return
        try:  # PyAV 14 added hardware decoding
            from av.codec.hwaccel import hwdevices_available
        except ImportError as exc:
            raise SourceError(
                f"camera '{self.camera_id}': hwaccel '{self._hwaccel}' needs PyAV 14 or newer "
                f"(this is {av.__version__}); upgrade av or set hwaccel: null"
            ) from exc
        available = sorted(hwdevices_available())
        if self._hwaccel not in available:
            raise SourceError(
                f"camera '{self.camera_id}': hwaccel '{self._hwaccel}' is not in this FFmpeg "
                f"build (it has: {', '.join(available) or 'none'}); use one of those or "
                "hwaccel: null to decode on the CPU"
            )

    def _raise_if_hwaccel_failed(self, exc: BaseException) -> None:
        """Opening with the device failed: if the stream opens without it, the device is the
        problem (no GPU, no driver, no permission), so say that instead of blaming the URL."""
        try:
            self._open_container(with_hwaccel=False).close()
        except (av.error.FFmpegError, OSError):
            return
        raise SourceError(
            f"camera '{self.camera_id}': {self._hwaccel} hardware decoding is unavailable "
            f"here ({_why(exc)}); check the GPU and its driver, or set hwaccel: null to "
            "decode on the CPU"
        ) from exc

    def _open_failure(self, exc: BaseException, elapsed_s: float) -> str:
        head = f"camera '{self.camera_id}': cannot open {self._shown_url}"
        if _timed_out(exc, elapsed_s, self._open_timeout_s):
            return (
                f"{head}: no answer within {self._open_timeout_s:g} s; "
                "check the URL or the camera's network"
            )
        if isinstance(exc, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError):
            return f"{head}: access denied ({_why(exc)}); check the user name and password"
        if isinstance(exc, av.error.HTTPNotFoundError):
            return f"{head}: not found ({_why(exc)}); check the stream path in the URL"
        if isinstance(exc, PermissionError):
            return f"{head}: permission denied; check the file's permissions"
        if not self.is_network:
            return (
                f"{head}: not a readable video ({_why(exc)}); "
                "check that the file is complete or re-encode it"
            )
        return f"{head}: {_why(exc)}; check the URL or the camera's network"

    # -- reading ---------------------------------------------------------------------------

    def _decoded_frames(self) -> Generator[av.VideoFrame, None, None]:
        """Decode every packet of the stream; translate FFmpeg errors to SourceError."""
        assert self._container is not None
        packets = self._container.demux(self._stream)
        bad_in_a_row = 0
        while True:
            asked = time.monotonic()
            try:
                packet = next(packets, None)
            except (av.error.FFmpegError, OSError) as exc:
                raise SourceError(self._read_failure(exc, time.monotonic() - asked)) from exc
            if packet is None:
                return
            try:
                frames = packet.decode()
            except av.error.InvalidDataError as exc:
                bad_in_a_row += 1
                if bad_in_a_row >= _MAX_CONSECUTIVE_BAD_PACKETS:
                    raise SourceError(
                        f"camera '{self.camera_id}': {self._shown_url} sent "
                        f"{bad_in_a_row} undecodable packets in a row ({_why(exc)}); "
                        "check the camera's codec settings (H.264/H.265) or re-encode the file"
                    ) from exc
                continue
            except av.error.FFmpegError as exc:
                raise SourceError(self._read_failure(exc, 0.0)) from exc
            bad_in_a_row = 0
            for frame in frames:
                if isinstance(frame, av.VideoFrame):
                    yield frame

    def _read_failure(self, exc: BaseException, elapsed_s: float) -> str:
        head = (
            f"camera '{self.camera_id}': lost {self._shown_url} after {self.frames_decoded} frames"
        )
        if _timed_out(exc, elapsed_s, self._read_timeout_s):
            return (
                f"{head}: no data for {self._read_timeout_s:g} s; "
                "check the camera's network or raise read_timeout_s"
            )
        fix = "check the camera's network" if self.is_network else "check the file"
        return f"{head}: {_why(exc)}; {fix}"

    def _timeline_s(self, frame: av.VideoFrame) -> float:
        """The frame's presentation time on one timeline that keeps growing across loops."""
        t = frame.time
        if t is None:  # no timestamp: assume the nominal rate
            step = 1.0 / self._native_fps
            return 0.0 if self._last_t is None else self._last_t + step
        if self._pass_first_s is None:
            self._pass_first_s = t
        return self._pass_offset_s + (t - self._pass_first_s)

    def _restart_file(self) -> None:
        self._close_container()
        if self._last_t is not None:
            self._pass_offset_s = self._last_t + 1.0 / self._native_fps
        self._open()

    def read(self) -> Frame | None:
        if self._container is None:
            raise SourceError(
                f"camera '{self.camera_id}': {self._shown_url} was read after close(); "
                "open the source again"
            )
        while True:
            frame = next(self._frames, None)
            if frame is None:
                if self.is_network:
                    raise SourceError(
                        f"camera '{self.camera_id}': lost {self._shown_url} after "
                        f"{self.frames_decoded} frames: the stream ended; "
                        "check that the camera or server is up"
                    )
                if not self._loop:
                    return None
                if self._pass_decoded == 0:
                    raise SourceError(
                        f"camera '{self.camera_id}': {self._shown_url} has no decodable "
                        "frames; check the file or re-encode it"
                    )
                self._restart_file()
                continue
            self.frames_decoded += 1
            self._pass_decoded += 1
            t = self._timeline_s(frame)
            self._last_t = t
            if not self._clock.due(t):
                continue
            if self._pacer is not None:
                self._pacer.wait_until_due(t)
            return self._emit(cast(UInt8Image, frame.to_ndarray(format="bgr24")))

    # -- the rest ---------------------------------------------------------------------------

    @property
    def media_time_s(self) -> float:
        """Presentation time of the last decoded frame, continuous across loops (0 before)."""
        return 0.0 if self._last_t is None else self._last_t

    @property
    def width(self) -> int:
        return self._width

    @property
    def height(self) -> int:
        return self._height

    @property
    def native_fps(self) -> float:
        return self._native_fps

    def _close_container(self) -> None:
        if self._container is not None:
            self._frames.close()
            self._container.close()
            self._container = None

    def close(self) -> None:
        self._close_container()

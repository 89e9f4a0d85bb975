"""``open_source``: turn a camera URL into the right :class:`~camfleet.sources.base.Source`.

===========================  ============================================================
URL                          source
===========================  ============================================================
``PATH``, ``file://PATH``    a video file (PyAV); ``bundled:NAME`` names a bundled clip
``rtsp://``, ``rtsps://``    an RTSP camera over TCP (PyAV)
``http(s)://`` and other     MJPEG, HLS, RTMP, SRT, UDP... anything FFmpeg reads (PyAV)
FFmpeg network schemes
``synthetic:WxH@FPS``        generated moving rectangles, for load tests
``reference:PATH@WxH``       the reference camera scene for gating benchmarks
===========================  ============================================================
"""

from __future__ import annotations

from urllib.parse import urlsplit

from camfleet.errors import SourceError
from camfleet.paths import resolve_asset
from camfleet.sources.base import Source
from camfleet.sources.pyav_source import NETWORK_SCHEMES, PyAVSource, SkipFrame, redact_url
from camfleet.sources.reference_scene import ReferenceSceneSource
from camfleet.sources.synthetic import SyntheticSource

__all__ = ["open_source"]

_SUPPORTED = "a file path, file://, rtsp(s)://, http(s)://, synthetic:WxH@FPS or reference:PATH@WxH"


def open_source(
    url: str,
    camera_id: str,
    *,
    analyze_fps: float | None = None,
    loop: bool = False,
    realtime: bool = False,
    open_timeout_s: float = 10.0,
    read_timeout_s: float = 10.0,
    hwaccel: str | None = None,
    skip_frame: SkipFrame | None = None,
) -> Source:
    """Open camera ``camera_id``'s stream at ``url``, emitting frames at ``analyze_fps``.

    ``analyze_fps=None`` emits every frame. ``loop`` and ``realtime`` make a file behave like an
    endless live camera (generated sources are always endless; ``realtime`` paces them too).
    ``hwaccel`` and ``skip_frame`` apply to decoded video (see :class:`PyAVSource`); a generated
    source has nothing to decode, so asking for either there is an error. Raises
    :class:`SourceError` with a one-line reason and fix when it cannot be opened.
    """
    if analyze_fps is not None and not analyze_fps > 0:
        raise SourceError(
            f"camera '{camera_id}': analyze_fps must be above 0, got {analyze_fps}; "
            "use a positive rate or None for every frame"
        )
    if not (open_timeout_s > 0 and read_timeout_s > 0):
        raise SourceError(
            f"camera '{camera_id}': timeouts must be above 0 seconds, got open "
            f"{open_timeout_s}, read {read_timeout_s}; use positive values"
        )
    if url.startswith(("synthetic:", "reference:")) and (hwaccel or skip_frame):
        raise SourceError(
            f"camera '{camera_id}': hwaccel and skip_frame apply to decoded video, and "
            f"{url.split(':', 1)[0]}: frames are generated; remove them or use a video source"
        )
    if url.startswith("synthetic:"):
        return SyntheticSource.from_url(url, camera_id, analyze_fps=analyze_fps, realtime=realtime)
    if url.startswith("reference:"):
        return ReferenceSceneSource.from_url(
            url, camera_id, analyze_fps=analyze_fps, realtime=realtime
        )
    if url.startswith("bundled:"):
        url = str(resolve_asset(url))
    scheme = urlsplit(url).scheme.lower() if "://" in url else ""
    if scheme and scheme != "file" and scheme not in NETWORK_SCHEMES:
        raise SourceError(
            f"camera '{camera_id}': unknown source scheme '{scheme}' in {redact_url(url)}; "
            f"use {_SUPPORTED}"
        )
    return PyAVSource(
        url,
        camera_id,
        analyze_fps=analyze_fps,
        loop=loop,
        realtime=realtime,
        open_timeout_s=open_timeout_s,
        read_timeout_s=read_timeout_s,
        hwaccel=hwaccel,
        skip_frame=skip_frame,
    )

"""Write H.264 clips the way IP cameras send them, for benchmarks and tests.

Cameras encode with no B-frames and a fixed keyframe interval (here 2 s); the MP4 is written
with ``faststart`` (index first), so a truncated copy is still readable up to its cut.
"""

from __future__ import annotations

from collections.abc import Iterable
from fractions import Fraction
from pathlib import Path

import av
import av.error

from camfleet.errors import SourceError
from camfleet.paths import BUNDLED_CLIPS
from camfleet.sources.base import UInt8Image
from camfleet.sources.pyav_source import PyAVSource
from camfleet.sources.resize import fit_to_size

__all__ = ["write_h264", "write_reference_clip"]


def write_h264(
    path: Path,
    images: Iterable[UInt8Image],
    fps: float,
    *,
    crf: int = 23,
    preset: str = "veryfast",
    keyframe_interval_s: float = 2.0,
) -> int:
    """Encode BGR ``images`` (all one size) to an H.264 MP4 at ``fps``; return the frame count."""
    rate = Fraction(fps).limit_denominator(1001)
    count = 0
    try:
        with av.open(str(path), "w", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream(
                "libx264",
                rate=rate,
                options={"preset": preset, "crf": str(crf), "x264-params": "bframes=0"},
            )
            stream.pix_fmt = "yuv420p"
            stream.codec_context.gop_size = max(1, round(fps * keyframe_interval_s))
            for image in images:
                if count == 0:
                    stream.height, stream.width = image.shape[:2]
                frame = av.VideoFrame.from_ndarray(image, format="bgr24")
                container.mux(stream.encode(frame))
                count += 1
            container.mux(stream.encode(None))
    except (av.error.FFmpegError, OSError) as exc:
        raise SourceError(
            f"cannot write H.264 clip {path}: {exc}; check the folder exists and is writable"
        ) from exc
    return count


def write_reference_clip(
    path: Path,
    clip: Path = BUNDLED_CLIPS[0],
    *,
    width: int = 1280,
    height: int = 720,
    fps: float = 15.0,
    seconds: float = 10.0,
) -> int:
    """A reference-camera clip: ``clip`` resampled to ``fps``, fitted to ``width`` x ``height``
    (centre crop, no distortion), looped to ``seconds``, encoded like a camera (H.264)."""
    frames = round(seconds * fps)
    with PyAVSource(str(clip), "encode", analyze_fps=fps, loop=True) as source:
        images = (
            fit_to_size(frame.image, width, height)
            for frame, _ in zip(source, range(frames), strict=False)
        )
        return write_h264(path, images, fps)

"""How much CPU one camera's decoding costs: the number the cost planner divides a vCPU by.

Decoding runs single-threaded in the calling thread (as each camera's reader does), so the
calling thread's CPU time is exactly the decode cost: every packet decoded, plus the BGR
conversion of the frames sampled at ``analyze_fps``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from camfleet.sources.pyav_source import PyAVSource, SkipFrame

__all__ = ["DecodeCost", "measure_decode_cost"]


@dataclass(frozen=True, slots=True)
class DecodeCost:
    """CPU cost of ingesting one stream, measured on this machine.

    ``ms_per_frame``: CPU ms per frame of the stream (every frame decoded; the BGR conversion of
    the sampled ones shared out over all). ``ms_per_second_of_video``: CPU ms to ingest one
    second of the stream. ``cameras_per_core``: how many such cameras one core can decode.
    """

    ms_per_frame: float
    ms_per_second_of_video: float
    cameras_per_core: float
    frames_decoded: int
    frames_converted: int
    video_seconds: float
    width: int
    height: int
    native_fps: float
    analyze_fps: float | None

    @property
    def decoded_frames_per_core_second(self) -> float:
        return 1000.0 / self.ms_per_frame


def measure_decode_cost(
    path: str | Path,
    analyze_fps: float | None = 2.0,
    seconds: float = 10.0,
    skip_frame: SkipFrame | None = None,
) -> DecodeCost:
    """Decode ``seconds`` of the video at ``path`` (looping it if shorter) as a camera analysed
    at ``analyze_fps`` would be, and report the CPU it took. With ``skip_frame`` the frames
    the decoder skips count as seconds of video but cost (almost) nothing."""
    if seconds <= 0:
        raise ValueError(f"seconds must be above 0, got {seconds}")
    with PyAVSource(
        str(path), "decode-cost", analyze_fps=analyze_fps, loop=True, decoder_threads=1,
        skip_frame=skip_frame,
    ) as source:
        frame_s = 1.0 / source.native_fps
        started = time.thread_time()
        # Until the last decoded frame's time slot ends at ``seconds``.
        while source.frames_decoded == 0 or source.media_time_s + frame_s < seconds - 1e-6:
            source.read()
        cpu_ms = (time.thread_time() - started) * 1000.0
        decoded = source.frames_decoded
        video_seconds = source.media_time_s + frame_s
        per_second = cpu_ms / video_seconds
        return DecodeCost(
            ms_per_frame=cpu_ms / decoded,
            ms_per_second_of_video=per_second,
            cameras_per_core=1000.0 / per_second,
            frames_decoded=decoded,
            frames_converted=source.frames_emitted,
            video_seconds=video_seconds,
            width=source.width,
            height=source.height,
            native_fps=source.native_fps,
            analyze_fps=analyze_fps,
        )

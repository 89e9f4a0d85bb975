"""Annotated H.264 MP4 output through PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import numpy.typing as npt

from camfleet.errors import CamfleetError

__all__ = ["AnnotatedVideoWriter"]


class AnnotatedVideoWriter:
    """Writes BGR frames to an MP4 (H.264, yuv420p); the size is fixed by the first frame."""

    def __init__(self, path: Path, fps: float) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._fps = Fraction(fps).limit_denominator(1001) if fps > 0 else Fraction(25)
        try:
            self._container: Any = av.open(str(path), mode="w")
        except (OSError, av.FFmpegError) as exc:
            raise CamfleetError(f"{path}: cannot write video: {exc}; check the --out path") from exc
        self._stream: Any = None
        self.frames = 0

    def write(self, image: npt.NDArray[np.uint8]) -> None:
        if self._stream is None:
            height, width = image.shape[:2]
            codec = "libx264" if "libx264" in av.codecs_available else "mpeg4"
            self._stream = self._container.add_stream(codec, rate=self._fps)
            self._stream.width, self._stream.height = width - width % 2, height - height % 2
            self._stream.pix_fmt = "yuv420p"
            if codec == "libx264":
                self._stream.options = {"preset": "veryfast", "crf": "26"}
        frame = av.VideoFrame.from_ndarray(
            np.ascontiguousarray(image[: self._stream.height, : self._stream.width]),
            format="bgr24",
        )
        for packet in self._stream.encode(frame):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> None:
        if self._stream is not None:
            for packet in self._stream.encode():
                self._container.mux(packet)
        self._container.close()

    def __enter__(self) -> AnnotatedVideoWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

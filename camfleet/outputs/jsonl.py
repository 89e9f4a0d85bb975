"""One JSON object per analysed frame: camera, seq, timestamps and boxes."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from camfleet.frames import Detections, Frame

__all__ = ["DetectionsJsonl"]


class DetectionsJsonl:
    def __init__(self, path: Path, names: Mapping[int, str]) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._names = dict(names)
        self._file: IO[str] = path.open("w", encoding="utf-8")
        self.lines = 0

    def write(self, frame: Frame, detections: Detections, model_id: str = "default") -> None:
        record = {
            "camera": frame.camera_id,
            "model": model_id,
            "seq": frame.seq,
            "time": round(frame.wall_time, 6),
            "width": frame.width,
            "height": frame.height,
            "boxes": [
                {
                    "class": self._names.get(int(c), str(int(c))),
                    "class_id": int(c),
                    "confidence": round(float(p), 4),
                    "xyxy": [round(float(v), 1) for v in box],
                }
                for box, p, c in zip(
                    detections.xyxy.tolist(),
                    detections.confidence.tolist(),
                    detections.class_id.tolist(),
                    strict=True,
                )
            ],
        }
        self._file.write(json.dumps(record, separators=(",", ":")) + "\n")
        self.lines += 1

    def close(self) -> None:
        self._file.close()

    def __enter__(self) -> DetectionsJsonl:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

"""Draw detections on a frame (supervision's annotators), for videos and snapshots."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import numpy.typing as npt
import supervision as sv

from camfleet.frames import Detections

__all__ = ["Annotator"]


class Annotator:
    """Boxes and ``class confidence`` labels, colored by class."""

    def __init__(self, names: Mapping[int, str]) -> None:
        self._names = dict(names)
        self._boxes = sv.BoxAnnotator(thickness=2)
        self._labels = sv.LabelAnnotator(text_scale=0.5, text_padding=3)

    def draw(
        self, image: npt.NDArray[np.uint8], detections: Detections, copy: bool = True
    ) -> npt.NDArray[np.uint8]:
        canvas = image.copy() if copy else image
        if not len(detections):
            return canvas
        found = detections.to_supervision()
        labels = [
            f"{self._names.get(int(c), str(int(c)))} {p:.2f}"
            + ("" if t is None else f" #{int(t)}")
            for c, p, t in zip(
                found.class_id if found.class_id is not None else [],
                found.confidence if found.confidence is not None else [],
                found.tracker_id if found.tracker_id is not None else [None] * len(found),
                strict=True,
            )
        ]
        canvas = self._boxes.annotate(canvas, found)
        return np.asarray(self._labels.annotate(canvas, found, labels=labels), dtype=np.uint8)

"""The unit of work inside the engine: one frame (or its region of interest) for one model."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from camfleet.frames import Detections, Frame
from camfleet.model import LetterboxedImage

__all__ = ["Work", "crop_to_roi", "shift_detections"]


@dataclass(frozen=True, slots=True)
class Work:
    frame: Frame
    model_id: str
    image: npt.NDArray[np.uint8]  # the frame, or a view of its region of interest
    offset: tuple[int, int]  # (x, y) of ``image`` inside the frame
    letterboxed: LetterboxedImage | None = None  # ``image`` in the model's canvas


def crop_to_roi(
    image: npt.NDArray[np.uint8], roi: tuple[float, float, float, float] | None
) -> tuple[npt.NDArray[np.uint8], tuple[int, int]]:
    """A view (no copy) of the normalized ``roi`` of ``image`` and its pixel offset."""
    if roi is None:
        return image, (0, 0)
    height, width = image.shape[:2]
    x1, y1 = int(roi[0] * width), int(roi[1] * height)
    x2, y2 = max(x1 + 1, int(roi[2] * width)), max(y1 + 1, int(roi[3] * height))
    return image[y1:y2, x1:x2], (x1, y1)


def shift_detections(detections: Detections, offset: tuple[int, int]) -> Detections:
    """Move boxes found in an ROI view back to full-frame coordinates."""
    if offset == (0, 0) or not len(detections):
        return detections
    shift = np.array([offset[0], offset[1], offset[0], offset[1]], dtype=np.float32)
    return Detections(
        detections.xyxy + shift, detections.confidence, detections.class_id, detections.tracker_id
    )

"""Class-wise non-maximum suppression with Ultralytics' semantics, done by OpenCV.

Greedy in confidence order, per class: a box is dropped when its IoU with a kept box of the
same class exceeds ``iou_threshold``; at most ``max_det`` boxes survive, best first.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = ["nms_classwise"]


def nms_classwise(
    xyxy: npt.NDArray[np.floating],
    scores: npt.NDArray[np.floating],
    class_id: npt.NDArray[np.integer],
    iou_threshold: float,
    max_det: int,
) -> npt.NDArray[np.intp]:
    """Indices of the boxes kept, sorted by descending score (ties keep input order)."""
    if len(xyxy) == 0:
        return np.zeros(0, np.intp)
    boxes = np.asarray(xyxy, np.float64)
    # OpenCV separates classes by shifting boxes by class_id * (largest coordinate + 1),
    # which only keeps classes apart when no coordinate is negative; IoU is translation-free.
    origin = min(float(boxes.min()), 0.0)
    xywh = np.empty_like(boxes)
    xywh[:, :2] = boxes[:, :2] - origin
    xywh[:, 2:] = boxes[:, 2:] - boxes[:, :2]
    # OpenCV's stubs ask for sequences; its bindings take arrays without a copy.
    boxes_arg: Any = xywh
    scores_arg: Any = np.asarray(scores, np.float32)
    classes_arg: Any = np.asarray(class_id, np.int32)
    kept = cv2.dnn.NMSBoxesBatched(
        boxes_arg,
        scores_arg,
        classes_arg,
        score_threshold=float("-inf"),
        nms_threshold=float(iou_threshold),
    )
    keep = np.asarray(kept, np.intp).reshape(-1)
    order = np.argsort(-np.asarray(scores)[keep], kind="stable")
    return keep[order][:max_det]

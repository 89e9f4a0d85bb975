"""Turn a YOLOv8 head output ``(B, 4 + nc, anchors)`` into per-image candidate boxes.

Rows 0-3 are the box centre and size ``(cx, cy, w, h)`` in canvas pixels, the other rows are
class scores (already sigmoid). As Ultralytics does, each anchor takes its best class, must
score strictly above ``conf``, and only then is the class filter applied.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

__all__ = ["MAX_NMS_CANDIDATES", "Candidates", "decode_candidates"]

# Ultralytics' max_nms: beyond this many boxes per image only the best-scoring go to NMS.
MAX_NMS_CANDIDATES = 30_000


@dataclass(frozen=True, slots=True)
class Candidates:
    """One image's boxes above the confidence threshold, before NMS (canvas pixels)."""

    xyxy: npt.NDArray[np.float32]
    score: npt.NDArray[np.float32]
    class_id: npt.NDArray[np.int32]


def decode_candidates(
    raw: npt.NDArray[np.float32],
    conf: float,
    class_filter: npt.NDArray[np.int32] | None = None,
) -> list[Candidates]:
    """Threshold the whole batch at once and split the survivors per image."""
    if raw.ndim != 3 or raw.shape[1] < 5:
        raise ValueError(f"expected a YOLOv8 output (B, 4+nc, anchors), got shape {raw.shape}")
    # max() reduces along the class axis in place; argmax() over a non-last axis would copy
    # the whole (B, nc, anchors) block first, so it only runs on the survivors.
    best_score = raw[:, 4:, :].max(axis=1)
    image_index, anchor_index = np.nonzero(best_score > conf)
    class_id = raw[image_index, 4:, anchor_index].argmax(axis=1).astype(np.int32)
    if class_filter is not None:
        wanted = np.isin(class_id, class_filter)
        image_index, anchor_index, class_id = (
            image_index[wanted],
            anchor_index[wanted],
            class_id[wanted],
        )

    cxcywh = raw[image_index, :4, anchor_index]
    half_wh = cxcywh[:, 2:] / 2
    xyxy = np.concatenate([cxcywh[:, :2] - half_wh, cxcywh[:, :2] + half_wh], axis=1)
    score = best_score[image_index, anchor_index]

    # np.nonzero walks in C order, so each image's rows are contiguous.
    bounds = np.searchsorted(image_index, np.arange(raw.shape[0] + 1))
    return [
        _cap(xyxy[start:stop], score[start:stop], class_id[start:stop])
        for start, stop in itertools.pairwise(bounds)
    ]


def _cap(
    xyxy: npt.NDArray[np.float32], score: npt.NDArray[np.float32], class_id: npt.NDArray[np.int32]
) -> Candidates:
    if len(score) > MAX_NMS_CANDIDATES:
        best = np.argpartition(-score, MAX_NMS_CANDIDATES)[:MAX_NMS_CANDIDATES]
        xyxy, score, class_id = xyxy[best], score[best], class_id[best]
    return Candidates(
        xyxy=xyxy.astype(np.float32, copy=False),
        score=score.astype(np.float32, copy=False),
        class_id=class_id,
    )

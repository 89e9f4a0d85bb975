"""Annotated JPEG snapshots of the frame that best shows an event."""

from __future__ import annotations

from collections.abc import Mapping

import cv2
import numpy as np
import numpy.typing as npt
import supervision as sv

from camfleet.frames import Detections

__all__ = ["JPEG_QUALITY", "annotated_jpeg"]

JPEG_QUALITY = 85

_BOXES = sv.BoxAnnotator(thickness=2)
_LABELS = sv.LabelAnnotator(text_scale=0.4, text_padding=4)


def _labels(detections: Detections, names: Mapping[int, str]) -> list[str]:
    class_names = np.array([names.get(int(c), str(int(c))) for c in np.unique(detections.class_id)])
    lookup = np.searchsorted(np.unique(detections.class_id), detections.class_id)
    text = np.char.add(class_names[lookup], np.char.mod(" %.2f", detections.confidence))
    if detections.tracker_id is not None:
        suffix = np.where(
            detections.tracker_id >= 0, np.char.mod(" #%d", detections.tracker_id), ""
        )
        text = np.char.add(text, suffix)
    return [str(label) for label in text]


def annotated_jpeg(
    image: npt.NDArray[np.uint8], detections: Detections, names: Mapping[int, str]
) -> bytes:
    """``image`` (BGR, left untouched) with ``detections`` boxed and labelled, as JPEG bytes."""
    canvas = image.copy()
    if len(detections):
        sv_detections = detections.to_supervision()
        canvas = _BOXES.annotate(canvas, sv_detections)
        canvas = _LABELS.annotate(canvas, sv_detections, labels=_labels(detections, names))
    ok, encoded = cv2.imencode(".jpg", canvas, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:
        raise ValueError(f"cannot encode a {canvas.shape} snapshot as JPEG")
    return bytes(encoded.tobytes())

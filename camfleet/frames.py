"""The two value types every layer passes on: :class:`Frame` and :class:`Detections`.

A frame is decoded by a source, gated and batched by the engine, turned into detections by the
model runtime, and the pair (frame, detections) flows on to tracking, rules and the store.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    import supervision as sv

__all__ = ["Detections", "Frame"]


@dataclass(frozen=True, slots=True)
class Frame:
    """One decoded picture of one camera.

    ``captured_at`` is ``time.monotonic()`` taken when the frame was decoded: every latency is
    measured from it. ``wall_time`` is ``time.time()`` at the same moment, for stored records.
    ``snapshot_image``: a larger picture of the same scene for event snapshots (the camera's
    main stream, when analysis runs on its ``detect_source`` substream); see
    :meth:`snapshot_view`.
    """

    camera_id: str
    seq: int
    captured_at: float
    image: npt.NDArray[np.uint8]
    wall_time: float = 0.0
    snapshot_image: npt.NDArray[np.uint8] | None = None

    def snapshot_view(self, detections: Detections) -> tuple[npt.NDArray[np.uint8], Detections]:
        """The picture a snapshot shows and ``detections`` (in this frame's pixels) scaled to
        it: ``snapshot_image`` when there is one, else ``image`` itself."""
        if self.snapshot_image is None:
            return self.image, detections
        height, width = self.snapshot_image.shape[:2]
        scale = np.array(
            [width / self.width, height / self.height] * 2, dtype=np.float32
        )
        return self.snapshot_image, replace(detections, xyxy=detections.xyxy * scale)

    @property
    def height(self) -> int:
        return int(self.image.shape[0])

    @property
    def width(self) -> int:
        return int(self.image.shape[1])


def _as(array: Any, dtype: type[np.generic], name: str, shape_tail: tuple[int, ...]) -> Any:
    out = np.asarray(array, dtype=dtype)
    if out.ndim != 1 + len(shape_tail) or out.shape[1:] != shape_tail:
        expected = "(N" + "".join(f", {d}" for d in shape_tail) + ")"
        raise ValueError(f"Detections.{name} must have shape {expected}, got {out.shape}")
    return out


@dataclass(frozen=True, slots=True)
class Detections:
    """Boxes found in one frame, as parallel NumPy arrays (supervision's layout).

    ``xyxy`` is in the original frame's pixel coordinates. Index with a boolean mask or an
    integer array to filter; never loop over boxes in Python.
    """

    xyxy: npt.NDArray[np.float32]
    confidence: npt.NDArray[np.float32]
    class_id: npt.NDArray[np.int32]
    tracker_id: npt.NDArray[np.int64] | None = field(default=None)

    def __post_init__(self) -> None:
        object.__setattr__(self, "xyxy", _as(self.xyxy, np.float32, "xyxy", (4,)))
        object.__setattr__(self, "confidence", _as(self.confidence, np.float32, "confidence", ()))
        object.__setattr__(self, "class_id", _as(self.class_id, np.int32, "class_id", ()))
        n = len(self.xyxy)
        if len(self.confidence) != n or len(self.class_id) != n:
            raise ValueError(
                f"Detections arrays differ in length: xyxy {n}, confidence "
                f"{len(self.confidence)}, class_id {len(self.class_id)}"
            )
        if self.tracker_id is not None:
            tid = _as(self.tracker_id, np.int64, "tracker_id", ())
            if len(tid) != n:
                raise ValueError(f"Detections.tracker_id has {len(tid)} rows, expected {n}")
            object.__setattr__(self, "tracker_id", tid)

    @classmethod
    def empty(cls) -> Detections:
        return cls(
            xyxy=np.zeros((0, 4), np.float32),
            confidence=np.zeros(0, np.float32),
            class_id=np.zeros(0, np.int32),
        )

    def __len__(self) -> int:
        return len(self.xyxy)

    def __getitem__(self, index: npt.NDArray[np.bool_] | npt.NDArray[np.intp]) -> Detections:
        return Detections(
            xyxy=self.xyxy[index],
            confidence=self.confidence[index],
            class_id=self.class_id[index],
            tracker_id=None if self.tracker_id is None else self.tracker_id[index],
        )

    def with_tracker_ids(self, tracker_id: npt.NDArray[np.int64]) -> Detections:
        return Detections(self.xyxy, self.confidence, self.class_id, tracker_id)

    def to_supervision(self) -> sv.Detections:
        import supervision as sv

        return sv.Detections(
            xyxy=self.xyxy.astype(np.float32),
            confidence=self.confidence,
            class_id=self.class_id.astype(int),
            tracker_id=None if self.tracker_id is None else self.tracker_id.astype(int),
        )

    @classmethod
    def from_supervision(cls, detections: sv.Detections) -> Detections:
        n = len(detections)
        confidence = detections.confidence if detections.confidence is not None else np.ones(n)
        class_id = detections.class_id if detections.class_id is not None else np.zeros(n)
        tracker_id = detections.tracker_id
        return cls(
            xyxy=np.asarray(detections.xyxy, np.float32),
            confidence=np.asarray(confidence, np.float32),
            class_id=np.asarray(class_id, np.int32),
            tracker_id=None if tracker_id is None else np.asarray(tracker_id, np.int64),
        )

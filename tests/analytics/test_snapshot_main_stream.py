"""Events of a camera analysed on a substream show the main stream's picture, boxes scaled."""

from __future__ import annotations

import cv2
import numpy as np

from camfleet.analytics.event_state import OpenEvent
from camfleet.frames import Detections, Frame


def detections(box: list[float]) -> Detections:
    return Detections(
        xyxy=np.array([box], np.float32), confidence=np.array([0.9], np.float32),
        class_id=np.array([0], np.int64),
    )


def test_snapshot_view_scales_boxes_to_the_main_stream() -> None:
    sub = np.zeros((90, 160, 3), np.uint8)
    main = np.zeros((720, 1280, 3), np.uint8)
    frame = Frame("cam", 0, 0.0, sub, 1.0, snapshot_image=main)
    image, scaled = frame.snapshot_view(detections([10, 20, 40, 60]))
    assert image is main
    np.testing.assert_allclose(scaled.xyxy, [[80, 160, 320, 480]])
    plain = Frame("cam", 0, 0.0, sub, 1.0)
    image, same = plain.snapshot_view(detections([10, 20, 40, 60]))
    assert image is sub
    np.testing.assert_allclose(same.xyxy, [[10, 20, 40, 60]])


def test_event_snapshot_is_encoded_from_the_main_stream() -> None:
    sub = np.full((90, 160, 3), 40, np.uint8)
    main = np.full((720, 1280, 3), 200, np.uint8)
    frame = Frame("cam", 0, 0.0, sub, 1.0, snapshot_image=main)
    event = OpenEvent(
        camera_id="cam", model_id="m", rule_id="cam/r", kind="presence", key="k", region=None,
        names={0: "person"}, frame=frame,
    )
    event.observe(frame, detections([10, 20, 40, 60]))
    jpeg = event.to_event(ended_at=None, class_fallback="person").snapshot_jpeg
    assert jpeg is not None
    decoded = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape == (720, 1280, 3)
    assert abs(float(decoded[700, 10].mean()) - 200) < 10  # the main stream's pixels

"""Builders shared by the analytics tests: frames, detections and bound rules."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from camfleet.analytics.rules import Rule, build_rule
from camfleet.config import FleetConfig, parse_fleet
from camfleet.frames import Detections, Frame

NAMES = {0: "Normal", 1: "Fall"}
SHARED = Path(__file__).resolve().parents[2] / ".." / "shared"
T0 = 1_700_000_000.0  # a fixed epoch so minute buckets and event ids are reproducible


def make_frame(seq: int, t: float, width: int = 100, height: int = 100) -> Frame:
    image = np.full((height, width, 3), 90, np.uint8)
    return Frame(camera_id="cam", seq=seq, captured_at=t - T0, image=image, wall_time=t)


def dets(
    boxes: Sequence[Sequence[float]],
    conf: Sequence[float] | None = None,
    cls: Sequence[int] | None = None,
    ids: Sequence[int] | None = None,
) -> Detections:
    n = len(boxes)
    return Detections(
        xyxy=np.asarray(boxes, np.float32).reshape(n, 4),
        confidence=np.asarray(conf if conf is not None else [0.9] * n, np.float32),
        class_id=np.asarray(cls if cls is not None else [1] * n, np.int32),
        tracker_id=None if ids is None else np.asarray(ids, np.int64),
    )


def make_fleet(**camera: Any) -> FleetConfig:
    return parse_fleet({"cameras": [{"id": "cam", "source": "clip.mp4", **camera}]})


def make_rule(rule: dict[str, Any], **camera: Any) -> Rule:
    """The one rule ``rule`` of a camera 'cam' with the given zones/lines, bound to NAMES."""
    parsed = make_fleet(rules=[rule], **camera).cameras[0]
    return build_rule(parsed, parsed.rules[0], NAMES)

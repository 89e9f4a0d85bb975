"""Line crossing: tracks whose anchor moves across a directed line, counted in and out.

For every track seen again, the path from its previous anchor to its current one is tested
against the line (vectorized over tracks). A crossing towards the line's ``in_side`` counts
``in``, away from it ``out``, into the per-minute count of the track's class. A track that
crossed less than ``cooldown_s`` ago is not counted again (jitter of a box on the line).
With ``emit_events`` each crossing is also an event, open and closed at once; the crossings
of one frame share one snapshot (one JPEG encode per frame, however many tracks cross).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from camfleet.analytics.event_state import event_id
from camfleet.analytics.geometry import anchors, crossings
from camfleet.analytics.regions import to_pixels
from camfleet.analytics.rule_base import Rule, RuleBinding, RuleOutput, minute_of
from camfleet.analytics.snapshot import annotated_jpeg
from camfleet.analytics.track_table import TrackTable
from camfleet.analytics.tracking import UNTRACKED
from camfleet.events import CountDelta, Event
from camfleet.frames import Detections, Frame

__all__ = ["LineCrossingRule"]

_FORGET_S = 10.0
"""A track unseen this long is forgotten; if it reappears, its path restarts there."""


class LineCrossingRule(Rule):
    needs_tracks = True

    def __init__(self, binding: RuleBinding) -> None:
        super().__init__(binding)
        assert binding.line is not None  # guaranteed by the camera's validator
        self._line = binding.line
        # +1 from crossings() means "moved to the left side".
        self._in_sign = 1 if binding.line.in_side == "left" else -1
        self._line_cache: tuple[int, int, npt.NDArray[np.float64]] | None = None
        self._tracks = TrackTable(x=np.float64, y=np.float64, seen=np.float64, crossed=np.float64)
        self.totals = {"in": 0, "out": 0}

    def _line_pixels(self, frame: Frame) -> npt.NDArray[np.float64]:
        cache = self._line_cache
        if cache is None or cache[0] != frame.width or cache[1] != frame.height:
            points = to_pixels(
                self._line.points,
                self._line.coords,
                self.binding.frame_size,
                frame.width,
                frame.height,
            )
            cache = (frame.width, frame.height, points)
            self._line_cache = cache
        return cache[2]

    def update(self, frame: Frame, detections: Detections) -> RuleOutput:
        out = RuleOutput()
        now = frame.wall_time
        mask = self.select(frame, detections)
        if detections.tracker_id is None:
            return out
        mask &= detections.tracker_id != UNTRACKED
        tracked = detections[mask]
        ids = tracked.tracker_id if tracked.tracker_id is not None else np.zeros(0, np.int64)
        points = anchors(tracked.xyxy)

        table = self._tracks
        pos, found = table.find(ids)
        rows = pos[found]
        start, end = self._line_pixels(frame)
        previous = np.stack((table["x"][rows], table["y"][rows]), axis=1)
        direction = crossings(previous, points[found], start, end)
        counted = (direction != 0) & (
            now - table["crossed"][rows] >= self.binding.config.cooldown_s
        )
        table["crossed"][rows[counted]] = now
        table["x"][rows] = points[found, 0]
        table["y"][rows] = points[found, 1]
        table["seen"][rows] = now
        table.add(ids[~found], x=points[~found, 0], y=points[~found, 1], seen=now, crossed=-np.inf)
        table.keep(now - table["seen"] <= max(_FORGET_S, self.binding.config.cooldown_s))

        if counted.any():
            crossed = tracked[np.flatnonzero(found)[counted]]
            is_in = direction[counted] == self._in_sign
            out.counts.extend(self._counts(frame, crossed.class_id, is_in))
            if self.binding.config.emit_events:
                out.events.extend(self._events(frame, crossed, is_in))
        return out

    def _counts(
        self, frame: Frame, class_ids: npt.NDArray[np.int32], is_in: npt.NDArray[np.bool_]
    ) -> list[CountDelta]:
        keys = class_ids.astype(np.int64) * 2 + is_in
        unique, counts = np.unique(keys, return_counts=True)
        deltas: list[CountDelta] = []
        for key, n in zip(unique, counts, strict=True):
            direction: Literal["in", "out"] = "in" if key % 2 else "out"
            self.totals[direction] += int(n)
            deltas.append(
                CountDelta(
                    camera_id=self.binding.camera_id,
                    minute=minute_of(frame.wall_time),
                    region=self._line.name,
                    class_name=self.binding.names.get(int(key // 2), str(int(key // 2))),
                    direction=direction,
                    count=int(n),
                )
            )
        return deltas

    def _events(
        self, frame: Frame, crossed: Detections, is_in: npt.NDArray[np.bool_]
    ) -> list[Event]:
        """One closed event per crossing; all crossings of a frame share one snapshot (the
        frame with every crossing box drawn), so a crowd crossing costs one JPEG encode."""
        binding = self.binding
        ids = crossed.tracker_id if crossed.tracker_id is not None else np.zeros(0, np.int64)
        directions = np.where(is_in, "in", "out")
        keys = np.char.add(np.char.mod("track-%d-", ids), directions).tolist()
        class_ids, lookup = np.unique(crossed.class_id, return_inverse=True)
        class_names = np.array(
            [binding.names.get(int(c), binding.class_label) for c in class_ids], dtype=object
        )[lookup].tolist()
        confidences = crossed.confidence.astype(np.float64).tolist()
        snapshot = annotated_jpeg(*frame.snapshot_view(crossed), binding.names)
        now = frame.wall_time
        return [
            Event(
                event_id=event_id(
                    binding.camera_id, binding.model_id, binding.rule_id, key, frame.seq, now
                ),
                camera_id=binding.camera_id,
                model_id=binding.model_id,
                rule_id=binding.rule_id,
                kind=binding.config.type,
                class_name=class_name,
                started_at=now,
                ended_at=now,
                max_confidence=round(confidence, 4),
                region=binding.region,
                track_ids=(track_id,),
                attributes={"duration_s": 0.0, "frames": 1, "count": 1, "direction": direction},
                snapshot_jpeg=snapshot,
            )
            for key, class_name, confidence, track_id, direction in zip(
                keys, class_names, confidences, ids.tolist(), directions.tolist(), strict=True
            )
        ]

    def close(self) -> RuleOutput:
        self._tracks.keep(np.zeros(len(self._tracks), np.bool_))
        return RuleOutput()

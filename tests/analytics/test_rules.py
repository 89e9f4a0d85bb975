from __future__ import annotations

from typing import Any, ClassVar

import cv2
import numpy as np
import pytest

from camfleet.analytics.rules import Rule, RuleOutput
from camfleet.events import Event
from camfleet.frames import Detections

from .builders import T0, dets, make_frame, make_rule

FALL = [[10, 10, 30, 60]]
SQUARE_ZONE = {"name": "bay", "polygon": [[0, 0], [0.5, 0], [0.5, 1], [0, 1]]}
ROAD = {"name": "road", "points": [[0.5, 1.0], [0.5, 0.0]], "in_side": "right"}


def run(rule: Rule, steps: list[tuple[float, Detections]]) -> RuleOutput:
    out = RuleOutput()
    for seq, (t, detections) in enumerate(steps):
        out.extend(rule.update(make_frame(seq, T0 + t), detections))
    return out


def snapshot_shape(event: Event) -> tuple[int, ...]:
    assert event.snapshot_jpeg is not None
    image = cv2.imdecode(np.frombuffer(event.snapshot_jpeg, np.uint8), cv2.IMREAD_COLOR)
    return tuple(image.shape)


class TestPresence:
    RULE: ClassVar[dict[str, Any]] = {
        "name": "falls",
        "type": "presence",
        "classes": ["Fall"],
        "min_frames": 3,
    }

    def test_opens_after_min_frames_and_closes_after_cooldown(self) -> None:
        rule = make_rule({**self.RULE, "cooldown_s": 1.0})
        seen = [(t * 0.5, dets(FALL, conf=[0.5 + t * 0.1])) for t in range(4)]
        gone = [(2.0 + t * 0.5, Detections.empty()) for t in range(4)]
        out = run(rule, seen + gone)
        opened, closed = out.events
        assert opened.event_id == closed.event_id
        assert opened.ended_at is None
        assert opened.started_at == T0  # the run's first frame, not the frame that qualified
        assert closed.ended_at == T0 + 1.5  # last sighting
        assert closed.max_confidence == 0.8
        assert closed.attributes["duration_s"] == 1.5
        assert closed.attributes["frames"] == 4
        assert (closed.rule_id, closed.kind, closed.class_name) == ("cam/falls", "presence", "Fall")
        assert snapshot_shape(closed) == (100, 100, 3)

    def test_other_classes_do_not_count(self) -> None:
        rule = make_rule(self.RULE)
        out = run(rule, [(t, dets(FALL, cls=[0])) for t in range(5)])
        assert out.events == []

    def test_flicker_shorter_than_cooldown_keeps_one_event(self) -> None:
        rule = make_rule({**self.RULE, "min_frames": 1, "cooldown_s": 2.0})
        pattern = [FALL, [], FALL, [], [], FALL]
        out = run(rule, [(t * 0.5, dets(b)) for t, b in enumerate(pattern)])
        out.extend(rule.close())
        assert len({e.event_id for e in out.events}) == 1
        assert out.events[-1].ended_at == T0 + 2.5

    def test_gap_longer_than_cooldown_starts_a_new_event(self) -> None:
        rule = make_rule({**self.RULE, "min_frames": 1, "cooldown_s": 1.0})
        out = run(rule, [(0.0, dets(FALL)), (5.0, dets(FALL))])
        out.extend(rule.close())
        ids = [e.event_id for e in out.events]
        assert len(ids) == 4 and len(set(ids)) == 2

    def test_min_seconds(self) -> None:
        rule = make_rule({**self.RULE, "min_frames": 1, "min_seconds": 2.0})
        out = run(rule, [(t * 0.5, dets(FALL)) for t in range(4)])
        assert out.events == []
        out = rule.update(make_frame(9, T0 + 2.0), dets(FALL))
        assert [e.ended_at for e in out.events] == [None]

    def test_never_satisfied_run_emits_nothing(self) -> None:
        rule = make_rule(self.RULE)
        out = run(rule, [(0.0, dets(FALL)), (0.5, dets(FALL))])
        out.extend(rule.close())
        assert out.events == []

    def test_event_ids_are_deterministic(self) -> None:
        steps = [(t * 0.5, dets(FALL)) for t in range(5)]
        first = run(make_rule(self.RULE), steps)
        second = run(make_rule(self.RULE), steps)
        assert [e.event_id for e in first.events] == [e.event_id for e in second.events]

    def test_zone_uses_the_bottom_centre_anchor(self) -> None:
        rule = make_rule({**self.RULE, "zone": "bay", "min_frames": 1}, zones=[SQUARE_ZONE])
        # Box straddles x=50 but its bottom-centre (60, 60) is outside the left-half zone.
        assert run(rule, [(0.0, dets([[40, 10, 80, 60]]))]).events == []
        assert len(run(rule, [(1.0, dets([[20, 10, 60, 60]]))]).events) == 1


class TestCrowd:
    def test_more_than_max_count_in_zone(self) -> None:
        rule = make_rule(
            {"name": "crowded", "type": "crowd", "zone": "bay", "max_count": 2, "cooldown_s": 0},
            zones=[SQUARE_ZONE],
        )
        inside = [[5, 5, 15, 20], [20, 5, 30, 20], [30, 30, 40, 45]]
        two = run(rule, [(0.0, dets(inside[:2]))])
        assert two.events == []
        three = rule.update(make_frame(1, T0 + 1), dets([*inside, [70, 5, 90, 20]]))
        (opened,) = three.events
        assert opened.kind == "crowd" and opened.attributes["count"] == 3
        closed = rule.update(make_frame(2, T0 + 2), dets(inside[:1])).events
        assert [e.event_id for e in closed] == [opened.event_id]
        assert closed[0].ended_at == T0 + 1


class TestDwell:
    RULE: ClassVar[dict[str, Any]] = {
        "name": "loiter",
        "type": "dwell",
        "zone": "bay",
        "dwell_s": 2.0,
        "cooldown_s": 1.0,
    }

    def test_track_staying_opens_one_event_from_its_entry(self) -> None:
        rule = make_rule(self.RULE, zones=[SQUARE_ZONE])
        box = [[10, 10, 30, 60]]
        steps = [(t * 0.5, dets(box, ids=[7])) for t in range(8)]
        steps += [(4.0 + t * 0.5, Detections.empty()) for t in range(1, 4)]
        out = run(rule, steps)
        opened, closed = out.events
        assert opened.ended_at is None and opened.started_at == T0
        assert closed.event_id == opened.event_id
        assert closed.ended_at == T0 + 3.5
        assert closed.track_ids == (7,)
        assert closed.attributes["dwell_s"] == 2.0
        assert sum(d.count for d in out.counts if d.direction == "present") == 1

    def test_short_visit_and_untracked_objects_do_not_count(self) -> None:
        rule = make_rule(self.RULE, zones=[SQUARE_ZONE])
        box = [[10, 10, 30, 60]]
        steps = [(t * 0.5, dets(box, ids=[3])) for t in range(3)]
        steps += [(2.0 + t, dets(box, ids=[-1])) for t in range(4)]
        out = run(rule, steps)
        out.extend(rule.close())
        assert out.events == []

    def test_one_event_per_track_even_if_it_returns(self) -> None:
        rule = make_rule(self.RULE, zones=[SQUARE_ZONE])
        inside, outside = [[10, 10, 30, 60]], [[70, 10, 90, 60]]
        steps = [(t * 0.5, dets(inside, ids=[1])) for t in range(6)]
        steps += [(3.0 + t * 0.5, dets(outside, ids=[1])) for t in range(4)]
        steps += [(5.0 + t * 0.5, dets(inside, ids=[1])) for t in range(6)]
        out = run(rule, steps)
        out.extend(rule.close())
        assert len({e.event_id for e in out.events}) == 1

    def test_close_closes_open_events(self) -> None:
        rule = make_rule(self.RULE, zones=[SQUARE_ZONE])
        run(rule, [(t * 0.5, dets([[10, 10, 30, 60]], ids=[4])) for t in range(6)])
        (closed,) = rule.close().events
        assert closed.ended_at == T0 + 2.5


class TestLineCrossing:
    RULE: ClassVar[dict[str, Any]] = {
        "name": "count",
        "type": "line_crossing",
        "line": "road",
        "cooldown_s": 1.0,
    }

    @staticmethod
    def box_at(x: float) -> list[list[float]]:
        return [[x - 5, 20, x + 5, 60]]

    def test_left_to_right_counts_in_and_back_counts_out(self) -> None:
        rule = make_rule(self.RULE, lines=[ROAD])
        xs = [20, 40, 60, 80, 80, 60, 40]
        out = run(rule, [(t, dets(self.box_at(x), ids=[5])) for t, x in enumerate(xs)])
        assert [(d.direction, d.count, d.region, d.class_name) for d in out.counts] == [
            ("in", 1, "road", "Fall"),
            ("out", 1, "road", "Fall"),
        ]
        assert out.counts[0].minute == int((T0 + 2) // 60)
        assert out.events == []

    def test_jitter_on_the_line_within_cooldown_counts_once(self) -> None:
        rule = make_rule(self.RULE, lines=[ROAD])
        xs = [45, 55, 45, 55, 45, 55]
        out = run(rule, [(t * 0.2, dets(self.box_at(x), ids=[2])) for t, x in enumerate(xs)])
        assert sum(d.count for d in out.counts) == 1

    def test_many_tracks_in_one_frame_are_aggregated(self) -> None:
        rule = make_rule(self.RULE, lines=[ROAD])
        before = dets(
            [[10, 0, 20, 10], [10, 20, 20, 30], [80, 40, 90, 50]], ids=[1, 2, 3], cls=[0, 1, 1]
        )
        after = dets(
            [[80, 0, 90, 10], [80, 20, 90, 30], [10, 40, 20, 50]], ids=[1, 2, 3], cls=[0, 1, 1]
        )
        out = run(rule, [(0.0, before), (1.0, after)])
        got = sorted((d.class_name, d.direction, d.count) for d in out.counts)
        assert got == [("Fall", "in", 1), ("Fall", "out", 1), ("Normal", "in", 1)]

    def test_untracked_detections_and_new_tracks_never_count(self) -> None:
        rule = make_rule(self.RULE, lines=[ROAD])
        steps = [
            (0.0, dets(self.box_at(20), ids=[-1])),
            (1.0, dets(self.box_at(80), ids=[-1])),
            (2.0, dets(self.box_at(80), ids=[9])),
        ]
        assert run(rule, steps).counts == []

    def test_emit_events_gives_one_closed_event_per_crossing(self) -> None:
        rule = make_rule({**self.RULE, "emit_events": True}, lines=[ROAD])
        out = run(
            rule, [(0.0, dets(self.box_at(20), ids=[5])), (1.0, dets(self.box_at(80), ids=[5]))]
        )
        (event,) = out.events
        assert event.ended_at == event.started_at == T0 + 1
        assert event.attributes["direction"] == "in"
        assert event.region == "road" and event.track_ids == (5,)
        assert snapshot_shape(event) == (100, 100, 3)

    def test_crossings_of_one_frame_share_one_snapshot_encode(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        encodes: list[tuple[int, ...]] = []
        real_imencode = cv2.imencode

        def counting_imencode(ext: str, image: Any, params: Any) -> Any:
            encodes.append(image.shape)
            return real_imencode(ext, image, params)

        monkeypatch.setattr(cv2, "imencode", counting_imencode)
        rule = make_rule({**self.RULE, "emit_events": True}, lines=[ROAD])
        before = dets(
            [[10, 0, 20, 10], [10, 20, 20, 30], [80, 40, 90, 50], [10, 60, 20, 70]],
            conf=[0.5, 0.61234, 0.7, 0.8],
            ids=[1, 2, 3, 4],
            cls=[0, 1, 1, 0],
        )
        after = dets(
            [[80, 0, 90, 10], [80, 20, 90, 30], [10, 40, 20, 50], [12, 60, 22, 70]],
            conf=[0.5, 0.61234, 0.7, 0.8],
            ids=[1, 2, 3, 4],
            cls=[0, 1, 1, 0],
        )
        out = run(rule, [(0.0, before), (1.0, after)])
        assert encodes == [(100, 100, 3)]  # three crossings, one encode
        got = sorted(
            (e.track_ids, e.class_name, e.attributes["direction"], e.max_confidence)
            for e in out.events
        )
        assert got == [
            ((1,), "Normal", "in", 0.5),
            ((2,), "Fall", "in", 0.6123),
            ((3,), "Fall", "out", 0.7),
        ]
        assert len({e.event_id for e in out.events}) == 3
        assert len({id(e.snapshot_jpeg) for e in out.events}) == 1
        assert all(e.ended_at == e.started_at == T0 + 1 for e in out.events)
        assert all(e.attributes["duration_s"] == 0.0 for e in out.events)

    def test_pixel_line_scales_with_frame_size(self) -> None:
        line = {
            "name": "road",
            "points": [[100, 200], [100, 0]],
            "coords": "pixel",
            "in_side": "right",
        }
        rule = make_rule(self.RULE, lines=[line], frame_size=[200, 200])
        # Configured for 200x200; frames are 100x100, so the line sits at x=50.
        out = run(
            rule, [(0.0, dets(self.box_at(40), ids=[1])), (1.0, dets(self.box_at(60), ids=[1]))]
        )
        assert [d.direction for d in out.counts] == ["in"]

from __future__ import annotations

import threading
from typing import Any

import numpy as np
import pytest

from camfleet.analytics.pipeline import AnalyticsSink
from camfleet.errors import ConfigError
from camfleet.events import ResultSink
from camfleet.frames import Detections, Frame

from .builders import NAMES, T0, dets, make_fleet, make_frame
from .fakes import RecordingWriter

ROAD = {"name": "road", "points": [[0.5, 1.0], [0.5, 0.0]], "in_side": "right"}
CROSSINGS = {"name": "crossings", "type": "line_crossing", "line": "road"}
FALLS = {"name": "falls", "type": "presence", "classes": ["Fall"], "min_frames": 2}


def sink_for(writer: RecordingWriter, **camera: Any) -> AnalyticsSink:
    return AnalyticsSink(make_fleet(analyze_fps=5, **camera), {"default": NAMES}, writer)


def walk(sink: ResultSink, xs: list[float], *, camera: str = "cam", start: float = 0.0) -> None:
    """One person (class Normal) walking through x positions, one frame every 0.2 s."""
    for seq, x in enumerate(xs):
        t = T0 + start + seq * 0.2
        frame = make_frame(seq, t)
        frame = Frame(camera, frame.seq, frame.captured_at, frame.image, frame.wall_time)
        sink.on_result(frame, "default", dets([[x - 8, 30, x + 8, 70]], conf=[0.9], cls=[0]))


def test_person_walking_across_the_line_is_tracked_and_counted_in() -> None:
    writer = RecordingWriter()
    sink = sink_for(writer, lines=[ROAD], rules=[CROSSINGS])
    walk(sink, [float(x) for x in range(10, 95, 6)])
    sink.close()
    assert writer.totals() == {("road", "Normal", "in"): 1}
    assert sink.stats.frames_processed == 15
    assert sink.stats.count_deltas == 1


def test_walking_back_counts_out() -> None:
    writer = RecordingWriter()
    sink = sink_for(writer, lines=[ROAD], rules=[CROSSINGS])
    walk(sink, [float(x) for x in range(90, 5, -6)])
    assert writer.totals() == {("road", "Normal", "out"): 1}


def test_replaying_the_same_frames_gives_the_same_records() -> None:
    def once() -> RecordingWriter:
        writer = RecordingWriter()
        sink = sink_for(
            writer,
            lines=[ROAD],
            rules=[{**CROSSINGS, "emit_events": True}, {**FALLS, "classes": []}],
        )
        walk(sink, [float(x) for x in range(10, 95, 6)])
        sink.close()
        return writer

    first, second = once(), once()
    assert first.emitted == second.emitted
    assert first.deltas == second.deltas
    assert len(first.events) == 2  # one presence, one crossing


def test_close_emits_open_events_closed_with_the_same_id_and_counts_them() -> None:
    writer = RecordingWriter()
    sink = sink_for(writer, rules=[FALLS])
    for seq in range(4):
        sink.on_result(make_frame(seq, T0 + seq), "default", dets([[10, 10, 30, 60]]))
    assert [e.ended_at for e in writer.emitted] == [None]
    sink.close()
    sink.close()  # idempotent
    opened, closed = writer.emitted
    assert closed.event_id == opened.event_id and closed.ended_at == T0 + 3
    assert closed.track_ids == ()  # presence alone needs no tracker
    stats = sink.stats
    assert (stats.events_opened, stats.events_closed) == (1, 1)
    sink.on_result(make_frame(9, T0 + 9), "default", dets([[10, 10, 30, 60]]))
    assert len(writer.emitted) == 2  # nothing after close


def test_cameras_and_models_without_rules_cost_nothing() -> None:
    writer = RecordingWriter()
    sink = sink_for(writer)
    for seq in range(5):
        sink.on_result(make_frame(seq, T0 + seq), "default", dets([[10, 10, 30, 60]]))
    sink.on_result(make_frame(6, T0 + 6), "other-model", Detections.empty())
    sink.close()
    assert writer.emitted == [] and writer.deltas == []
    assert sink.stats.frames_processed == 0


def test_frames_without_wall_time_use_the_clock() -> None:
    writer = RecordingWriter()
    fleet = make_fleet(rules=[{**FALLS, "min_frames": 1}])
    sink = AnalyticsSink(fleet, {"default": NAMES}, writer, clock=lambda: 1234.5)
    image = np.zeros((50, 50, 3), np.uint8)
    sink.on_result(Frame("cam", 0, 0.0, image), "default", dets([[1, 1, 9, 9]]))
    assert writer.emitted[0].started_at == 1234.5


def test_unknown_class_is_refused_at_construction() -> None:
    with pytest.raises(ConfigError, match="class 'Fal' is not a class of model 'default'"):
        sink_for(RecordingWriter(), rules=[{**FALLS, "classes": ["Fal"]}])


def test_results_from_several_threads_are_serialized() -> None:
    writer = RecordingWriter()
    fleet = make_fleet(lines=[ROAD], rules=[CROSSINGS])
    fleet = fleet.model_copy(
        update={
            "cameras": [fleet.cameras[0].model_copy(update={"id": f"cam{i}"}) for i in range(4)]
        }
    )
    sink = AnalyticsSink(fleet, {"default": NAMES}, writer)
    xs = [float(x) for x in range(10, 95, 6)]
    threads = [
        threading.Thread(target=walk, args=(sink, xs), kwargs={"camera": f"cam{i}"})
        for i in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sink.close()
    assert sorted(d.camera_id for d in writer.deltas) == ["cam0", "cam1", "cam2", "cam3"]
    assert sink.stats.frames_processed == 4 * len(xs)

"""The results stage: cameras spread over threads, each camera on one thread, in order."""

from __future__ import annotations

import threading
from collections import defaultdict

import numpy as np

from camfleet.engine.results import ResultsStage
from camfleet.engine.work import Work
from camfleet.frames import Detections, Frame

IMAGE = np.zeros((4, 4, 3), np.uint8)


def work(camera_id: str, seq: int) -> Work:
    return Work(Frame(camera_id, seq, float(seq), IMAGE), "m", IMAGE, (0, 0))


def test_each_camera_stays_on_one_thread_in_order_and_cameras_spread_out() -> None:
    handled: dict[str, list[tuple[int, str]]] = defaultdict(list)
    lock = threading.Lock()

    def handle(item: Work, detections: Detections) -> None:
        with lock:
            handled[item.frame.camera_id].append((item.frame.seq,
                                                  threading.current_thread().name))

    stage = ResultsStage(4, handle, queue_size=256)
    cameras = [f"cam{i}" for i in range(12)]
    for camera_id in cameras:
        stage.assign(camera_id)
    stage.start()
    for seq in range(200):
        for camera_id in cameras:
            stage.put(work(camera_id, seq), Detections.empty())
    stage.stop()
    threads_used = set()
    for camera_id in cameras:
        seqs = [seq for seq, _ in handled[camera_id]]
        names = {name for _, name in handled[camera_id]}
        assert seqs == list(range(200)), camera_id
        assert len(names) == 1, f"{camera_id} ran on {names}"
        threads_used |= names
    assert len(threads_used) == 4  # 12 cameras, 3 per thread


def test_after_unassign_nothing_of_that_camera_reaches_the_handler() -> None:
    gate = threading.Event()
    handled: list[tuple[str, int]] = []

    def handle(item: Work, detections: Detections) -> None:
        gate.wait(5)
        handled.append((item.frame.camera_id, item.frame.seq))

    stage = ResultsStage(1, handle)
    stage.assign("a")
    stage.assign("b")
    stage.start()
    for seq in range(5):
        stage.put(work("a", seq), Detections.empty())
        stage.put(work("b", seq), Detections.empty())
    releaser = threading.Timer(0.2, gate.set)
    releaser.start()
    stage.unassign("a")  # waits for the one "a" result being handled, if any
    seen_at_unassign = len([h for h in handled if h[0] == "a"])
    stage.put(work("a", 99), Detections.empty())  # discarded: no longer assigned
    stage.stop()
    releaser.join()
    assert len([h for h in handled if h[0] == "a"]) == seen_at_unassign <= 1
    assert [seq for cam, seq in handled if cam == "b"] == list(range(5))
    assert stage.stall_s() == 0.0

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from camfleet.frames import Frame
from camfleet.sources import FrameSlot

_IMAGE = np.zeros((2, 2, 3), np.uint8)


def frame(seq: int, camera_id: str = "cam1") -> Frame:
    return Frame(camera_id=camera_id, seq=seq, captured_at=time.monotonic(), image=_IMAGE)


def test_full_slot_drops_the_oldest() -> None:
    slot = FrameSlot(capacity=2)
    dropped = [slot.put(frame(i)) for i in range(5)]
    assert dropped == [False, False, True, True, True]
    assert slot.dropped == 3 and len(slot) == 2 and slot.total_put == 5
    got = [slot.get_nowait(), slot.get_nowait(), slot.get_nowait()]
    assert [f.seq if f else None for f in got] == [3, 4, None]


def test_get_times_out_empty() -> None:
    slot = FrameSlot()
    started = time.monotonic()
    assert slot.get(timeout=0.1) is None
    assert 0.09 <= time.monotonic() - started < 1.0


def test_get_wakes_on_put_from_another_thread() -> None:
    slot = FrameSlot()
    timer = threading.Timer(0.05, slot.put, args=(frame(7),))
    timer.start()
    got = slot.get(timeout=5.0)
    timer.join()
    assert got is not None and got.seq == 7


def test_one_consumer_waits_on_many_slots_through_a_shared_event() -> None:
    wakeup = threading.Event()
    slots = {f"cam{i}": FrameSlot(capacity=100, wakeup=wakeup) for i in range(3)}

    def produce(camera_id: str) -> None:
        for seq in range(20):
            slots[camera_id].put(frame(seq, camera_id))
            time.sleep(0.002)

    producers = [threading.Thread(target=produce, args=(c,)) for c in slots]
    for thread in producers:
        thread.start()
    received: dict[str, list[int]] = {c: [] for c in slots}
    waits = 0
    deadline = time.monotonic() + 10.0
    while sum(map(len, received.values())) < 60 and time.monotonic() < deadline:
        wakeup.wait(timeout=1.0)
        waits += 1
        wakeup.clear()
        for camera_id, slot in slots.items():
            while (got := slot.get_nowait()) is not None:
                received[camera_id].append(got.seq)
    for thread in producers:
        thread.join()
    assert all(seqs == list(range(20)) for seqs in received.values())
    assert waits <= 61  # woken by puts, not spinning


def test_rejects_zero_capacity() -> None:
    with pytest.raises(ValueError, match="capacity"):
        FrameSlot(capacity=0)


@settings(deadline=None)  # timing is not the property; a busy CI box is slow
@given(capacity=st.integers(1, 5), ops=st.lists(st.booleans(), max_size=60))
def test_bounded_fifo_accounts_for_every_frame(capacity: int, ops: list[bool]) -> None:
    slot = FrameSlot(capacity=capacity)
    put = 0
    got: list[int] = []
    for is_put in ops:
        if is_put:
            slot.put(frame(put))
            put += 1
        elif (item := slot.get_nowait()) is not None:
            got.append(item.seq)
        assert len(slot) <= capacity
    assert got == sorted(got)
    assert len(got) + slot.dropped + len(slot) == put

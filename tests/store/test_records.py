"""Batch coalescing and the bounded buffer: properties that hold for any input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from camfleet.events import CountDelta
from camfleet.store.buffer import DropOldestBuffer
from camfleet.store.records import jsonable, merge_events, sum_counts
from camfleet.store.snapshots import snapshot_path

from .helpers import T0, make_event

updates = st.lists(
    st.tuples(
        st.sampled_from(["a", "b", "c"]),
        st.none() | st.floats(T0, T0 + 100),
        st.floats(0.0, 1.0),
        st.none() | st.binary(min_size=1, max_size=4),
    ),
    max_size=30,
)


@given(updates)
def test_merge_keeps_one_latest_state_per_event(
    seq: list[tuple[str, float | None, float, bytes | None]],
) -> None:
    events = [
        make_event(eid, ended_at=end, max_confidence=conf, snapshot_jpeg=jpeg)
        for eid, end, conf, jpeg in seq
    ]
    merged = {m.event.event_id: m for m in merge_events(events)}
    assert sorted(merged) == sorted({e.event_id for e in events})
    for eid, m in merged.items():
        mine = [e for e in events if e.event_id == eid]
        ends = [e.ended_at for e in mine if e.ended_at is not None]
        assert m.event.ended_at == (ends[-1] if ends else None)
        assert m.event.max_confidence == max(e.max_confidence for e in mine)
        snapshots = [e.snapshot_jpeg for e in mine if e.snapshot_jpeg]
        assert m.event.snapshot_jpeg == (snapshots[-1] if snapshots else None)
        assert m.phases == {"open" if e.ended_at is None else "closed" for e in mine}


@given(st.lists(st.tuples(st.integers(0, 3), st.sampled_from(["in", "out"]), st.integers(0, 9))))
def test_sum_counts_keeps_totals_and_makes_keys_unique(
    seq: list[tuple[int, str, int]],
) -> None:
    deltas = [CountDelta("cam", m, "line", "car", d, n) for m, d, n in seq]  # type: ignore[arg-type]
    rows = sum_counts(deltas)
    keys = [(r["minute"], r["direction"]) for r in rows]
    assert len(keys) == len(set(keys))
    assert sum(r["count"] for r in rows) == sum(n for _, _, n in seq)


@given(st.integers(1, 20), st.lists(st.integers(), max_size=60))
def test_buffer_keeps_the_newest_and_counts_the_rest(capacity: int, items: list[int]) -> None:
    buffer: DropOldestBuffer[int] = DropOldestBuffer(capacity, wake_at=capacity)
    buffer.put_many(items)
    kept = buffer.take(capacity + 5, wait_s=0)
    assert kept == items[-capacity:] if items else kept == []
    assert buffer.dropped == max(0, len(items) - capacity)


def test_snapshot_paths_are_safe_and_distinct() -> None:
    root = Path("/snaps")
    a = snapshot_path(root, "cam-1", T0, "cam-1/fall/7")
    b = snapshot_path(root, "cam-1", T0, "cam-1_fall_7")
    assert a.parent == root / "cam-1" / "2025-11-24"
    assert a != b and b.name == "cam-1_fall_7.jpg"
    assert ".." not in snapshot_path(root, "..", T0, "../../etc/passwd").parts


def test_attributes_become_plain_json() -> None:
    assert jsonable({"frames": 3, "zone": "b"}) == {"frames": 3, "zone": "b"}
    converted = jsonable({"conf": np.float32(0.5), "box": np.arange(2), "when": Path("x")})
    assert converted == {"conf": 0.5, "box": [0, 1], "when": "x"}
    assert type(converted["conf"]) is float

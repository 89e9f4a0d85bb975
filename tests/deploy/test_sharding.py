"""Static camera sharding: stable across processes, a partition, roughly balanced."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from camfleet.deploy.sharding import cameras_for_shard, shard_of


@dataclass(frozen=True)
class Cam:
    id: str


def test_assignment_is_pinned() -> None:
    # BLAKE2b-64 of the id, mod the count: these never change between releases.
    assert [shard_of(f"cam-{i}", 4) for i in range(8)] == [1, 1, 0, 3, 2, 3, 0, 2]
    assert shard_of("dock-1", 3) == 0


def test_assignment_is_the_same_in_another_process() -> None:
    # Python's built-in hash() of a str is salted per process; ours must not be.
    code = "from camfleet.deploy.sharding import shard_of; print(shard_of('gate-7', 13))"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        env={"PYTHONHASHSEED": "12345"},
    ).stdout
    assert int(out) == shard_of("gate-7", 13)


@given(
    ids=st.lists(st.text(min_size=1, max_size=20), unique=True, max_size=60),
    count=st.integers(min_value=1, max_value=12),
)
def test_shards_partition_the_fleet(ids: list[str], count: int) -> None:
    cameras = [Cam(i) for i in ids]
    shards = [cameras_for_shard(cameras, index, count) for index in range(count)]
    assert sorted(c.id for shard in shards for c in shard) == sorted(ids)
    for index, shard in enumerate(shards):
        assert all(shard_of(c.id, count) == index for c in shard)
        assert shard == [c for c in cameras if c in shard], "original order kept"


@given(prefix=st.text(min_size=0, max_size=8), count=st.integers(min_value=2, max_value=16))
def test_shards_are_roughly_balanced(prefix: str, count: int) -> None:
    n = 4000
    sizes = Counter(shard_of(f"{prefix}{i}", count) for i in range(n))
    mean = n / count
    # A uniform hash gives binomial shard sizes (sd < sqrt(mean)); 6 sd is ~1e-9 per shard,
    # so this fails only for a hash that clumps.
    assert set(sizes) == set(range(count))
    assert max(abs(size - mean) for size in sizes.values()) < 6 * mean**0.5


@pytest.mark.parametrize(("index", "count"), [(0, 0), (3, 3), (-1, 2)])
def test_bad_shard_arguments(index: int, count: int) -> None:
    with pytest.raises(ValueError, match="shard"):
        cameras_for_shard([Cam("a")], index, count)

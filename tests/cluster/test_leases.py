"""The lease protocol on real SQLite and PostgreSQL, with a fake clock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from camfleet.cluster.leases import LeaseManager
from camfleet.store.database import Database, open_database
from camfleet.store.schema import CameraLeaseRow


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


CAMERAS = [f"cam{i:02d}" for i in range(12)]


@pytest.fixture
def db(db_url: str, tmp_path) -> Iterator[Database]:
    database = open_database(db_url, tmp_path)
    database.upgrade()
    yield database
    database.dispose()


def workers(db: Database, clock: Clock, n: int, capacity: int = 100) -> list[LeaseManager]:
    return [
        LeaseManager(db, capacity, worker_id=f"w{i}", ttl_s=10.0, handover_after_s=20.0,
                     clock=clock)
        for i in range(n)
    ]


def holders(db: Database) -> dict[str, str | None]:
    with db.engine.connect() as connection:
        rows = connection.execute(select(CameraLeaseRow.camera_id, CameraLeaseRow.holder))
        return {camera_id: holder for camera_id, holder in rows}


def settle(managers: list[LeaseManager], clock: Clock, rounds: int = 3) -> None:
    for _ in range(rounds):
        for manager in managers:
            changes = manager.tick(CAMERAS)
            manager.release(changes.handover)
        clock.now += 3.0


def test_three_workers_split_twelve_cameras_evenly_and_disjointly(db):
    clock = Clock()
    managers = workers(db, clock, 3)
    for manager in managers:  # all three announce themselves before anyone claims much
        manager.tick([])
    settle(managers, clock)
    held = [manager.held for manager in managers]
    assert sorted(len(h) for h in held) == [4, 4, 4]
    assert set().union(*held) == set(CAMERAS)
    assert Counter(holders(db).values()) == {"w0": 4, "w1": 4, "w2": 4}


def test_capacity_caps_what_a_worker_claims(db):
    clock = Clock()
    (small,) = workers(db, clock, 1, capacity=5)
    assert small.tick(CAMERAS).acquired == ()  # the first tick only announces the worker
    changes = small.tick(CAMERAS)
    assert len(changes.acquired) == 5 and len(small.held) == 5


def test_a_dead_workers_cameras_move_to_the_survivors_after_the_ttl(db):
    clock = Clock()
    managers = workers(db, clock, 3)
    for manager in managers:
        manager.tick([])
    settle(managers, clock)
    dead, survivors = managers[0], managers[1:]
    orphaned = set(dead.held)
    clock.now += 4.0  # within the TTL: nobody may take them yet
    for manager in survivors:
        assert not set(manager.tick(CAMERAS).acquired) & orphaned
    clock.now += 10.0  # past the TTL
    for _ in range(2):
        for manager in survivors:
            manager.tick(CAMERAS)
        clock.now += 3.0
    assert set(survivors[0].held) | set(survivors[1].held) == set(CAMERAS)
    assert not set(survivors[0].held) & set(survivors[1].held)
    assert sorted(len(m.held) for m in survivors) == [6, 6]


def test_a_worker_that_joins_gets_a_fair_share_by_handover(db):
    clock = Clock()
    first, second, third = workers(db, clock, 3)
    first.tick([])
    second.tick([])
    settle([first, second], clock)
    assert sorted([len(first.held), len(second.held)]) == [6, 6]
    settle([first, second], clock, rounds=8)  # long enough for their cameras to be movable
    third.tick([])
    settle([first, second, third], clock, rounds=3)
    assert sorted(len(m.held) for m in (first, second, third)) == [4, 4, 4]
    assert set(first.held) | set(second.held) | set(third.held) == set(CAMERAS)


def test_a_camera_just_moved_is_not_moved_again_at_once(db):
    clock = Clock()
    first, second = workers(db, clock, 2)
    settle([first], clock, rounds=2)
    assert len(first.held) == 12
    second.tick([])
    changes = first.tick(CAMERAS)  # above its share of 6, but every camera is new here
    assert changes.handover == ()


def test_lost_lease_after_a_partition_is_reported(db):
    clock = Clock()
    first, second = workers(db, clock, 2)
    first.tick(CAMERAS)
    first.tick(CAMERAS)
    assert len(first.held) == 12
    clock.now += 15.0  # first was cut off for longer than the TTL
    second.tick(CAMERAS)
    second.tick(CAMERAS)
    assert len(second.held) == 12
    changes = first.tick(CAMERAS)
    assert set(changes.lost) == set(CAMERAS)
    assert first.held == frozenset()


def test_removed_cameras_are_dropped_and_their_rows_deleted(db):
    clock = Clock()
    (worker,) = workers(db, clock, 1)
    worker.tick(CAMERAS)
    worker.tick(CAMERAS)
    changes = worker.tick(CAMERAS[:10])
    assert set(changes.dropped) == set(CAMERAS[10:])
    assert set(holders(db)) == set(CAMERAS[:10])


def test_leave_frees_everything_for_the_others(db):
    clock = Clock()
    first, second = workers(db, clock, 2)
    first.tick(CAMERAS)
    first.tick(CAMERAS)
    second.tick([])
    first.leave()
    assert set(second.tick(CAMERAS).acquired) == set(CAMERAS)


def test_a_restarted_worker_with_the_same_id_frees_its_previous_lifes_leases(db):
    clock = Clock()
    (first_life,) = workers(db, clock, 1)
    first_life.tick(CAMERAS)
    first_life.tick(CAMERAS)
    assert len(first_life.held) == 12
    clock.now += 3.0  # killed, and restarted at once under the same name
    (second_life,) = workers(db, clock, 1)
    second_life.tick(CAMERAS)  # renews nothing it does not run: the old leases are freed
    assert set(holders(db).values()) == {None}
    second_life.tick(CAMERAS)
    assert len(second_life.held) == 12

"""Three real workers share twelve cameras through PostgreSQL; one is killed with SIGKILL."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from camfleet.control.repository import FleetRepository
from camfleet.store.database import Database, open_database

from .workers import Worker, camfleet, events, holders, wait_for, worker_stats, write_fleet

pytestmark = pytest.mark.postgres

CAMERAS = 12


@pytest.fixture
def db(pg_url: str, tmp_path: Path) -> Iterator[Database]:
    database = open_database(pg_url, tmp_path)
    yield database
    database.dispose()


def analysed(db: Database) -> dict[str, int]:
    return {camera: stats["analysed"] for camera, stats in worker_stats(db).items()}


def test_a_killed_workers_cameras_run_on_the_survivors_within_30_s(
    pg_url: str, db: Database, tmp_path: Path
) -> None:
    fleet = write_fleet(tmp_path, CAMERAS)
    imported = camfleet("fleet", "import", str(fleet), "--db-url", pg_url)
    assert imported.returncode == 0, imported.stderr
    workers = [Worker(f"w{i}", pg_url, tmp_path, "--capacity", "6") for i in range(3)]
    try:
        assert wait_for(
            lambda: len([n for n in analysed(db).values() if n > 0]) == CAMERAS, timeout_s=90
        ), [w.output()[-2000:] for w in workers]
        owners = holders(db)
        assert set(owners) == {f"cam{i:02d}" for i in range(CAMERAS)}
        victim = next(w for w in workers if any(h == w.name for h in owners.values()))
        orphans = {camera for camera, holder in owners.items() if holder == victim.name}
        stored_before = events(db)
        assert stored_before, "the presence rules stored no event before the kill"

        victim.kill()
        killed_at = time.monotonic()
        before = analysed(db)

        def all_running_again() -> bool:
            now = worker_stats(db)
            return all(
                camera in now and now[camera]["worker"] != victim.name
                and now[camera]["analysed"] > (0 if camera in orphans else before[camera])
                for camera in before
            )

        assert wait_for(all_running_again, timeout_s=45), holders(db)
        failover_s = time.monotonic() - killed_at
        print(f"failover: {failover_s:.1f} s for {len(orphans)} cameras")
        survivors = [w for w in workers if w is not victim]
        assert {holders(db)[c] for c in orphans} <= {w.name for w in survivors}

        # Fleet changes reach running workers without a restart: one camera added by a new
        # import, one deleted through the repository (what the API's DELETE does).
        grown = write_fleet(tmp_path, CAMERAS + 1)
        assert camfleet("fleet", "import", str(grown), "--db-url", pg_url).returncode == 0
        FleetRepository(db).delete_camera("cam00")
        assert wait_for(
            lambda: worker_stats(db).get(f"cam{CAMERAS:02d}", {}).get("analysed", 0) > 0
            and "cam00" not in worker_stats(db),
            timeout_s=30,
        ), worker_stats(db)
        for worker in survivors:
            assert worker.terminate() == 0, worker.output()[-2000:]
    finally:
        for worker in workers:
            worker.close()
    assert failover_s < 30.0
    stored_after = events(db)
    print(f"events: {len(stored_before)} stored before the kill, {len(stored_after)} after, "
          f"{len(set(stored_before) - set(stored_after))} of the former missing")
    assert set(stored_before) <= set(stored_after)  # nothing stored was lost
    # The victim's open events were closed by the takeover, the survivors' by their drain.
    assert all(ended is not None for ended in stored_after.values())
    assert set(holders(db).values()) == {None}  # SIGTERM released every lease


@pytest.mark.slow
def test_failover_time_over_five_kills(pg_url: str, db: Database, tmp_path: Path) -> None:
    """The measurement in BENCHMARKS.md: kill a worker five times (restarting it between
    kills), each time timing until every camera runs again on a live worker."""
    fleet = write_fleet(tmp_path, CAMERAS)
    assert camfleet("fleet", "import", str(fleet), "--db-url", pg_url).returncode == 0
    workers = {f"w{i}": Worker(f"w{i}", pg_url, tmp_path, "--capacity", "6") for i in range(3)}
    times: list[float] = []
    try:
        for kill in range(5):
            assert wait_for(
                lambda: len([n for n in analysed(db).values() if n > 0]) == CAMERAS
                and len({s["worker"] for s in worker_stats(db).values()}) == 3,
                timeout_s=120,
            )
            owners = holders(db)
            name = f"w{kill % 3}"
            orphans = {camera for camera, holder in owners.items() if holder == name}
            workers[name].kill()
            killed_at = time.monotonic()

            def moved(name: str = name, orphans: set[str] = orphans) -> bool:
                now = worker_stats(db)
                return all(
                    camera in now and now[camera]["worker"] != name and now[camera]["analysed"]
                    for camera in orphans
                )

            assert wait_for(moved, timeout_s=60)
            times.append(time.monotonic() - killed_at)
            workers[name] = Worker(f"{name}", pg_url, tmp_path, "--capacity", "6",
                                   "--handover-after", "5")
    finally:
        for worker in workers.values():
            worker.close()
    times.sort()
    print(f"failover over {len(times)} kills: median {times[2]:.1f} s, worst {times[-1]:.1f} s, "
          f"all {[round(t, 1) for t in times]}")
    assert times[-1] < 30.0

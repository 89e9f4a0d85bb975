"""Querying the store, from Python and through ``camfleet events`` / ``camfleet counts``."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from camfleet.commands.store import register
from camfleet.errors import ConfigError, StoreError
from camfleet.events import CountDelta
from camfleet.store.database import open_database
from camfleet.store.queries import count_totals, parse_when
from camfleet.store.writer import StoreWriter

from .helpers import T0, make_event
from .test_database import HEAD

MINUTE = int(T0 // 60)
NOW = datetime(2026, 5, 1, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A populated SQLite store: three events on two cameras and line counts over two hours."""
    folder = tmp_path_factory.mktemp("store")
    db = open_database(None, folder)
    writer = StoreWriter(db, folder / "snapshots", {}, flush_interval_s=0.01)
    writer.start()
    writer.put_event(make_event("a", started_at=T0, ended_at=T0 + 2, max_confidence=0.91))
    writer.put_event(make_event("b", started_at=T0 + 60, track_ids=(4,)))
    writer.put_event(make_event("c", camera_id="gate", started_at=T0 + 120))
    writer.put_counts(
        [
            CountDelta("cam-1", MINUTE, "road", "bicycle", "in", 3),
            CountDelta("cam-1", MINUTE + 1, "road", "bicycle", "out", 2),
            CountDelta("cam-1", MINUTE + 61, "road", "bicycle", "in", 5),
            CountDelta("cam-1", MINUTE, "road", "person", "in", 1),
            CountDelta("gate", MINUTE, "door", "person", "present", 4),
        ]
    )
    writer.close()
    db.dispose()
    return folder


def _cli(*args: str) -> typer.testing.Result:
    app = typer.Typer()
    register(app)
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15m", NOW - timedelta(minutes=15)),
        ("2h", NOW - timedelta(hours=2)),
        ("1d", NOW - timedelta(days=1)),
        ("2026-04-30T10:00:00Z", datetime(2026, 4, 30, 10, tzinfo=UTC)),
        ("2026-04-30T10:00:00", datetime(2026, 4, 30, 10, tzinfo=UTC)),
        ("2026-04-30T12:00:00+02:00", datetime(2026, 4, 30, 10, tzinfo=UTC)),
    ],
)
def test_parse_when(text: str, expected: datetime) -> None:
    assert parse_when(text, NOW) == expected


def test_parse_when_names_the_accepted_forms() -> None:
    with pytest.raises(ConfigError, match="'yesterday' is neither ISO 8601"):
        parse_when("yesterday", NOW)


def test_events_json_newest_first_with_filters(data_dir: Path) -> None:
    every = json.loads(_cli("events", "--data-dir", str(data_dir), "--json").stdout)
    assert [e["event_id"] for e in every] == ["c", "b", "a"]
    assert every[2]["duration_s"] == pytest.approx(2.0)
    assert every[1]["ended_at"] is None and every[1]["track_ids"] == [4]

    one_camera = _cli("events", "--data-dir", str(data_dir), "--camera", "cam-1", "--json")
    assert [e["event_id"] for e in json.loads(one_camera.stdout)] == ["b", "a"]

    since = datetime.fromtimestamp(T0 + 30, UTC).isoformat()
    until = datetime.fromtimestamp(T0 + 90, UTC).isoformat()
    window = _cli(
        "events", "--data-dir", str(data_dir), "--since", since, "--until", until, "--json"
    )
    assert [e["event_id"] for e in json.loads(window.stdout)] == ["b"]
    limited = _cli(
        "events", "--data-dir", str(data_dir), "--limit", "1", "--type", "presence", "--json"
    )
    assert [e["event_id"] for e in json.loads(limited.stdout)] == ["c"]
    recent = _cli("events", "--data-dir", str(data_dir), "--since", "1h", "--json")
    assert json.loads(recent.stdout) == []  # T0 is long ago


def test_events_table(data_dir: Path) -> None:
    out = _cli("events", "--data-dir", str(data_dir)).stdout
    assert "3 events" in out
    assert "0.91" in out and "gate" in out


def test_counts_totals_and_buckets(data_dir: Path) -> None:
    totals = json.loads(_cli("counts", "--data-dir", str(data_dir), "--json").stdout)
    by_key = {(t["camera_id"], t["region"], t["class_name"]): t for t in totals}
    bikes = by_key[("cam-1", "road", "bicycle")]
    assert (bikes["count_in"], bikes["count_out"], bikes["present"]) == (8, 2, 0)
    assert by_key[("gate", "door", "person")]["present"] == 4

    hourly = json.loads(
        _cli(
            "counts", "--data-dir", str(data_dir), "--class", "bicycle", "--by", "hour", "--json"
        ).stdout
    )
    assert [(h["bucket_start"], h["count_in"], h["count_out"]) for h in hourly] == [
        ("2025-11-24T16:00:00+00:00", 3, 2),
        ("2025-11-24T17:00:00+00:00", 5, 0),
    ]
    table = _cli("counts", "--data-dir", str(data_dir), "--region", "door").stdout
    assert "door" in table and "road" not in table


def test_count_totals_on_each_backend(db_url: str, tmp_path: Path) -> None:
    db = open_database(db_url, tmp_path)
    writer = StoreWriter(db, tmp_path / "snaps", {}, flush_interval_s=0.01)
    writer.start()
    writer.put_counts(
        [CountDelta("cam-1", MINUTE + m, "road", "car", "in", 1) for m in range(0, 3000, 7)]
    )
    writer.close()
    daily = count_totals(db, by="day")
    minute = count_totals(
        db,
        by="minute",
        since=datetime.fromtimestamp(T0, UTC),
        until=datetime.fromtimestamp(T0 + 60 * 14, UTC),
    )
    db.dispose()
    assert sum(d.count_in for d in daily) == len(range(0, 3000, 7))
    assert [d.bucket_start.hour if d.bucket_start else -1 for d in daily] == [0] * len(daily)
    assert [m.count_in for m in minute] == [1, 1]


def test_db_commands(tmp_path: Path) -> None:
    target = ["--data-dir", str(tmp_path)]
    assert f"at revision {HEAD}" in _cli("db", "upgrade", *target).stdout
    assert f"at revision {HEAD}" in _cli("db", "current", *target).stdout
    assert "deleted 0 events" in _cli("db", "prune", *target).stdout
    assert "at revision base" in _cli("db", "downgrade", "base", *target).stdout


def test_reading_a_missing_or_empty_store_says_what_to_do(tmp_path: Path) -> None:
    app = typer.Typer()
    register(app)
    missing = CliRunner().invoke(app, ["events", "--data-dir", str(tmp_path / "nowhere")])
    assert isinstance(missing.exception, StoreError)
    assert "no event store at" in str(missing.exception)
    assert not (tmp_path / "nowhere").exists()  # reading creates nothing
    open_database(None, tmp_path).dispose()
    empty = CliRunner().invoke(app, ["counts", "--data-dir", str(tmp_path)])
    assert isinstance(empty.exception, StoreError)
    assert "run `camfleet db upgrade`" in str(empty.exception)

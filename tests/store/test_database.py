"""Opening the store and migrating it, on SQLite and PostgreSQL."""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from camfleet.errors import StoreError
from camfleet.store.database import VERSION_TABLE, Database, open_database
from camfleet.store.schema import Base

TABLES = {
    "cameras", "models", "events", "counts", "webhook_outbox",
    "fleet_cameras", "fleet_models", "fleet_settings", "fleet_revision", "api_keys",
    "camera_leases", "workers",
}
HEAD = "0003"


def _tables(db: Database) -> set[str]:
    return set(inspect(db.engine).get_table_names()) - {VERSION_TABLE}


def test_migrations_up_down_up(db_url: str, open_db: Callable[..., Database]) -> None:
    db = open_db(db_url)
    assert db.current() is None
    db.upgrade()
    assert db.current() == HEAD
    assert _tables(db) == TABLES
    db.downgrade("base")
    assert db.current() is None
    assert _tables(db) == set()
    db.upgrade("head")
    assert _tables(db) == TABLES


def _upgrade_in_a_process(url: str, data_dir: str, barrier: Any) -> None:
    database = open_database(url, Path(data_dir))
    try:
        barrier.wait(30)  # all at once, as workers that start together would
        database.upgrade()
    finally:
        database.dispose()


def test_processes_upgrading_a_new_database_together_all_succeed(
    db_url: str, open_db: Callable[..., Database], tmp_path: Path
) -> None:
    """Time-slice workers start together on a new store: each runs the migrations."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(4)
    processes = [
        context.Process(target=_upgrade_in_a_process, args=(db_url, str(tmp_path), barrier))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(60)
    assert [process.exitcode for process in processes] == [0, 0, 0, 0]
    db = open_db(db_url)
    assert db.current() == HEAD
    assert _tables(db) == TABLES


def test_an_unwritable_migration_lock_is_one_line_and_keeps_the_data(
    tmp_path: Path, open_db: Callable[..., Database]
) -> None:
    path = tmp_path / "store.db"
    db = open_db(f"sqlite:///{path}")
    db.upgrade()
    Path(f"{path}.migrate-lock").unlink()
    Path(f"{path}.migrate-lock").mkdir()  # not a file: opening it fails even as root
    message = r"cannot create .*migrate-lock to migrate database"
    with pytest.raises(StoreError, match=message) as info:
        db.downgrade("base")
    assert "\n" not in str(info.value)
    assert db.current() == HEAD


def test_migration_matches_the_models(db: Database) -> None:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
        )
        differences = compare_metadata(context, Base.metadata)
    assert differences == []


def test_default_is_sqlite_in_wal_mode_under_data_dir(tmp_path: Path) -> None:
    db = open_database(None, tmp_path / "data")
    try:
        assert db.dialect == "sqlite"
        assert (tmp_path / "data" / "camfleet.db").exists()
        with db.engine.connect() as connection:
            assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
            assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000
    finally:
        db.dispose()


def test_plain_postgresql_url_uses_psycopg(tmp_path: Path) -> None:
    db = open_database("postgresql://u:pw@127.0.0.1:1/x", tmp_path, connect=False)
    assert db.url.drivername == "postgresql+psycopg"
    assert "pw" not in db.display_url


def test_unreachable_server_is_one_line_with_password_masked(tmp_path: Path) -> None:
    with pytest.raises(StoreError) as caught:
        open_database("postgresql://user:hunter2@127.0.0.1:1/camfleet", tmp_path)
    message = str(caught.value)
    assert "\n" not in message
    assert "hunter2" not in message
    assert "postgresql+psycopg://user:***@127.0.0.1:1/camfleet" in message
    assert "CAMFLEET_DATABASE_URL" in message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [("not a url", "not a valid SQLAlchemy URL"), ("mysql://u:p@h/db", "supports sqlite")],
)
def test_bad_url_names_the_fix(tmp_path: Path, url: str, fragment: str) -> None:
    with pytest.raises(StoreError, match=fragment):
        open_database(url, tmp_path)

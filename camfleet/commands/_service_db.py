"""Opening the service's database for ``serve``, ``fleet`` and ``apikey``: migrated to head."""

from __future__ import annotations

import os
from pathlib import Path

import typer

from camfleet.config import StoreConfig
from camfleet.store.database import Database, open_database
from camfleet.store.location import DATABASE_URL_ENV, StoreLocation, resolve_location

__all__ = ["DATA_DIR_OPTION", "DB_URL_OPTION", "open_service_db"]

DATA_DIR_OPTION = typer.Option(
    None, "--data-dir",
    help="Data directory (SQLite file, snapshots, cache); default camfleet-data.",
)
DB_URL_OPTION = typer.Option(
    None, "--db-url",
    help=f"Database URL; default: ${DATABASE_URL_ENV}, then SQLite in the data directory.",
)


def open_service_db(
    db_url: str | None, data_dir: Path | None, store: StoreConfig | None = None
) -> tuple[Database, StoreLocation]:
    location = resolve_location(db_url, data_dir, store, os.environ)
    db = open_database(location.url, location.data_dir)
    db.upgrade()
    return db, location

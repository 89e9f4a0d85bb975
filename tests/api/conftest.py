"""A running service per test (real uvicorn on a free loopback port, real SQLite)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from camfleet.store.database import Database, open_database
from tests.store.conftest import pg_url

from .helpers import Running, running_service

__all__ = ["pg_url"]  # a fresh PostgreSQL schema per test, as the store's tests use


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Running]:
    with running_service(tmp_path / "data") as running:
        yield running


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database migrated to head, on each backend."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    database = open_database(url, tmp_path)
    database.upgrade()
    try:
        yield database
    finally:
        database.dispose()

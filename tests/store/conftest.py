"""Fixtures for the store's tests: real SQLite files, a real PostgreSQL server (from
``CAMFLEET_TEST_POSTGRES_URL``, started by ``.ci/start-postgres.sh``) with a fresh database per
test, and an event factory."""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from camfleet.store.database import Database, open_database

POSTGRES_ENV = "CAMFLEET_TEST_POSTGRES_URL"


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database for one test; dropped afterwards."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set; start a server with .ci/start-postgres.sh")
    name = f"camfleet_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_conninfo(base)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield make_url(base).set(database=name).render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    url: str = request.getfixturevalue("pg_url")
    return url


@pytest.fixture
def open_db(tmp_path: Path) -> Iterator[Callable[..., Database]]:
    """Open databases that are disposed of at the end of the test."""
    opened: list[Database] = []

    def _open(url: str | None, **kwargs: Any) -> Database:
        db = open_database(url, tmp_path, **kwargs)
        opened.append(db)
        return db

    yield _open
    for db in opened:
        db.dispose()


@pytest.fixture
def db(db_url: str, open_db: Callable[..., Database]) -> Database:
    """An upgraded, empty store on each backend."""
    database = open_db(db_url)
    database.upgrade()
    return database

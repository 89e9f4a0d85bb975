"""A running service per test (real uvicorn on a free loopback port, real SQLite)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy.engine import make_url

from camfleet.store.database import Database, open_database

from .helpers import Running, running_service

POSTGRES_ENV = "CAMFLEET_TEST_POSTGRES_URL"


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Running]:
    with running_service(tmp_path / "data") as running:
        yield running


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for one test (CAMFLEET_TEST_POSTGRES_URL), dropped after."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set; start a server with .ci/start-postgres.sh")
    schema = f"camfleet_api_{uuid.uuid4().hex[:12]}"
    admin = make_url(base).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


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

"""Fixtures for the store's tests: real SQLite files, a real PostgreSQL server (from
``CAMFLEET_TEST_POSTGRES_URL``, started by ``.ci/start-postgres.sh``) with a fresh database per
test, and an event factory."""

from __future__ import annotations

import os
import threading
import uuid
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy.engine import make_url

from camfleet.store.database import Database, open_database
from camfleet.store.writer import StoreWriter

from .helpers import Receiver

POSTGRES_ENV = "CAMFLEET_TEST_POSTGRES_URL"


def _admin_conninfo(url: str) -> str:
    parsed = make_url(url)
    return parsed.set(drivername="postgresql").render_as_string(hide_password=False)


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL schema for one test (first on the search path); dropped
    afterwards. A schema is much faster to create than a database."""
    base = os.environ.get(POSTGRES_ENV)
    if not base:
        pytest.skip(f"{POSTGRES_ENV} is not set; start a server with .ci/start-postgres.sh")
    schema = f"camfleet_t_{uuid.uuid4().hex[:12]}"
    admin = _admin_conninfo(base)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


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


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver(url="")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = state.handle({k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def writers(tmp_path: Path) -> Iterator[Callable[..., StoreWriter]]:
    """Build writers that are always closed, even when a test fails."""
    made: list[StoreWriter] = []

    def _make(db: Database, **kwargs: object) -> StoreWriter:
        kwargs.setdefault("flush_interval_s", 0.02)
        writer = StoreWriter(db, tmp_path / "snapshots", {}, **kwargs)  # type: ignore[arg-type]
        made.append(writer)
        return writer

    yield _make
    for writer in made:
        writer.close(timeout=5)

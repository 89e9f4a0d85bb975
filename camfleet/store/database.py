"""Opening the event store: an SQLAlchemy engine for SQLite (default) or PostgreSQL, and the
Alembic migrations that shape it.

SQLite runs in WAL mode with a busy timeout so the writer, the webhook dispatcher and CLI readers
can share one file. PostgreSQL goes through psycopg 3; ``postgresql://`` URLs are rewritten to
``postgresql+psycopg://``. Errors name the URL with its password masked.
"""

from __future__ import annotations

import fcntl
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError

from camfleet.errors import StoreError

__all__ = [
    "MIGRATIONS_DIR",
    "VERSION_TABLE",
    "Database",
    "DialectName",
    "default_database_url",
    "mask_url",
    "open_database",
]

DialectName = Literal["sqlite", "postgresql"]
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
VERSION_TABLE = "camfleet_alembic_version"
DEFAULT_DB_FILE = "camfleet.db"
# pg_advisory_xact_lock key that serializes migrations (any constant; this spells "cfmg").
_PG_MIGRATION_LOCK = 0x63666D67


def default_database_url(data_dir: Path) -> str:
    """The embedded default: an SQLite file in the data directory."""
    return f"sqlite:///{data_dir / DEFAULT_DB_FILE}"


def mask_url(url: str | URL) -> str:
    """The URL as safe to print: any password replaced by ``***``."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return str(url).split("@")[-1] if "@" in str(url) else str(url)


def _normalize(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(
            f"database URL {mask_url(url)!r} is not a valid SQLAlchemy URL; use "
            "sqlite:///path/to/camfleet.db or postgresql://user:password@host:5432/dbname"
        ) from exc
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() not in ("sqlite", "postgresql"):
        raise StoreError(
            f"database URL {mask_url(parsed)!r} uses backend {parsed.get_backend_name()!r}; "
            "camfleet supports sqlite:/// and postgresql:// URLs"
        )
    return parsed


def _enable_sqlite_wal(engine: Engine, busy_timeout_ms: int) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()


class Database:
    """One event store: an engine plus migrations. Create it with :func:`open_database`."""

    def __init__(self, url: URL, engine: Engine) -> None:
        self.url = url
        self.engine = engine

    @property
    def display_url(self) -> str:
        return mask_url(self.url)

    @property
    def dialect(self) -> DialectName:
        name = self.engine.dialect.name
        return "postgresql" if name == "postgresql" else "sqlite"

    def check(self) -> None:
        """Connect once; raise :class:`StoreError` naming the URL when that fails."""
        with self.translate_errors("connect to"), self.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    @contextmanager
    def translate_errors(self, action: str) -> Iterator[None]:
        """Turn driver errors into one-line :class:`StoreError` messages naming the URL."""
        try:
            yield
        except SQLAlchemyError as exc:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            raise StoreError(
                f"cannot {action} database {self.display_url}: {reason}; check that the server "
                "is running and the URL (--url, CAMFLEET_DATABASE_URL or store.database_url) "
                "is right"
            ) from exc

    def _alembic_config(self, connection: Connection) -> Config:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        config.set_main_option("version_table", VERSION_TABLE)
        config.attributes["connection"] = connection
        return config

    @contextmanager
    def _migrating(self, action: str) -> Iterator[Connection]:
        """A transaction for a migration that no other process migrates alongside: workers
        started together on a new database would otherwise all create the same tables."""
        with (
            self.translate_errors(action),
            self._sqlite_file_lock(),
            self.engine.begin() as connection,
        ):
            if self.dialect == "postgresql":
                connection.execute(
                    text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                )
            yield connection

    @contextmanager
    def _sqlite_file_lock(self) -> Iterator[None]:
        database = self.url.database
        if self.dialect != "sqlite" or database in (None, "", ":memory:"):
            yield
            return
        lock_path = Path(f"{Path(database).expanduser()}.migrate-lock")
        try:
            lock_file = lock_path.open("a")
        except OSError as exc:
            raise StoreError(
                f"cannot create {lock_path} to migrate database {self.display_url}: "
                f"{exc.strerror or exc}; choose a writable --data-dir or --url"
            ) from exc
        with lock_file:
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

    def upgrade(self, rev: str = "head") -> None:
        """Migrate the schema up to ``rev`` (default: the newest)."""
        with self._migrating(f"upgrade to {rev!r}") as connection:
            command.upgrade(self._alembic_config(connection), rev)

    def downgrade(self, rev: str) -> None:
        """Migrate the schema down to ``rev`` (``base`` drops every camfleet table)."""
        with self._migrating(f"downgrade to {rev!r}") as connection:
            command.downgrade(self._alembic_config(connection), rev)

    def current(self) -> str | None:
        """The schema revision the database is at, or None before the first upgrade."""
        with self.translate_errors("read the revision of"), self.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()

    def dispose(self) -> None:
        self.engine.dispose()


def open_database(
    url: str | None, data_dir: Path, *, connect: bool = True, busy_timeout_ms: int = 5000
) -> Database:
    """Open the store at ``url`` (default: SQLite under ``data_dir``).

    With ``connect`` the server is contacted once so a wrong URL fails here, as a one-line
    :class:`StoreError`; without it (the writer's case) connection errors surface later and are
    retried.
    """
    parsed = _normalize(url or default_database_url(data_dir))
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        try:
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for database {mask_url(parsed)}: "
                f"{exc.strerror or exc}; choose a writable --data-dir or --url"
            ) from exc
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ImportError) as exc:
        raise StoreError(
            f"cannot open database {mask_url(parsed)}: {exc}; check the URL's driver"
        ) from exc
    if engine.dialect.name == "sqlite":
        _enable_sqlite_wal(engine, busy_timeout_ms)
    database = Database(parsed, engine)
    if connect:
        database.check()
    return database

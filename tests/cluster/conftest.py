"""Real databases for the lease tests: the store's SQLite/PostgreSQL fixtures."""

from tests.store.conftest import db_url, pg_url

__all__ = ["db_url", "pg_url"]

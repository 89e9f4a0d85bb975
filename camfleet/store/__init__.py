"""The event store: SQL tables (SQLite by default, PostgreSQL by URL) with Alembic migrations,
a non-blocking batched writer, a snapshot store (local directory or S3), a webhook outbox with
its dispatcher, retention and queries.

Analytics hands :class:`~camfleet.events.Event` and :class:`~camfleet.events.CountDelta` records
to a :class:`StoreWriter` (an ``EventWriter``); the CLI and the API read them back through
:mod:`camfleet.store.queries`.
"""

from camfleet.store.database import Database, default_database_url, mask_url, open_database
from camfleet.store.location import (
    DATABASE_URL_ENV,
    StoreLocation,
    resolve_location,
    snapshots_dir,
)
from camfleet.store.queries import CountTotal, StoredEvent, count_totals, list_events, parse_when
from camfleet.store.retention import PruneReport, RetentionPolicy, prune
from camfleet.store.webhooks import Backoff, DispatcherStats, WebhookDispatcher, sign
from camfleet.store.writer import StoreWriter, WriterStats, open_writer

__all__ = [
    "DATABASE_URL_ENV",
    "Backoff",
    "CountTotal",
    "Database",
    "DispatcherStats",
    "PruneReport",
    "RetentionPolicy",
    "StoreLocation",
    "StoreWriter",
    "StoredEvent",
    "WebhookDispatcher",
    "WriterStats",
    "count_totals",
    "default_database_url",
    "list_events",
    "mask_url",
    "open_database",
    "open_writer",
    "parse_when",
    "prune",
    "resolve_location",
    "sign",
    "snapshots_dir",
]

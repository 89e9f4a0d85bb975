"""Where the store is: flag, then environment, then fleet YAML, then the SQLite default."""

from __future__ import annotations

from pathlib import Path

import pytest

import camfleet.store
from camfleet.config import StoreConfig
from camfleet.store.location import DATABASE_URL_ENV, resolve_location
from camfleet.store.writer import open_writer

from .helpers import make_event

YAML = StoreConfig(database_url="postgresql://yaml/db", data_dir="/srv/cam")
ENV = {DATABASE_URL_ENV: "postgresql://env/db"}


@pytest.mark.parametrize(
    ("url", "data_dir", "store", "environ", "expected_url", "expected_dir"),
    [
        ("sqlite:///flag.db", None, YAML, ENV, "sqlite:///flag.db", Path("/srv/cam")),
        (None, None, YAML, ENV, "postgresql://env/db", Path("/srv/cam")),
        (None, Path("here"), YAML, {}, "postgresql://yaml/db", Path("here")),
        (None, None, None, {}, None, Path("camfleet-data")),
        (None, None, StoreConfig(), {DATABASE_URL_ENV: ""}, None, Path("camfleet-data")),
    ],
)
def test_precedence(
    url: str | None,
    data_dir: Path | None,
    store: StoreConfig | None,
    environ: dict[str, str],
    expected_url: str | None,
    expected_dir: Path,
) -> None:
    location = resolve_location(url, data_dir, store, environ)
    assert (location.url, location.data_dir) == (expected_url, expected_dir)
    assert location.snapshots_dir == expected_dir / "snapshots"


def test_public_api_is_pinned() -> None:
    assert set(camfleet.store.__all__) == {
        "DATABASE_URL_ENV", "Backoff", "CountTotal", "Database", "DispatcherStats",
        "PruneReport", "RetentionPolicy", "StoreLocation", "StoreWriter", "StoredEvent",
        "WebhookDispatcher", "WriterStats", "count_totals", "default_database_url",
        "list_events", "mask_url", "open_database", "open_writer", "parse_when", "prune",
        "resolve_location", "sign", "snapshots_dir",
    }  # fmt: skip
    for name in camfleet.store.__all__:
        assert hasattr(camfleet.store, name)


def test_open_writer_follows_the_store_section(tmp_path: Path) -> None:
    location = resolve_location(None, tmp_path, None, {})
    writer = open_writer(location, StoreConfig(buffer_size=50, retention_days=7), {})
    writer.start()
    writer.put_event(make_event())
    writer.close()
    assert writer.stats.written_events == 1
    assert (tmp_path / "camfleet.db").exists()

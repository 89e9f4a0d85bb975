"""``camfleet db upgrade|downgrade|current|prune``, ``camfleet events`` and ``camfleet counts``:
thin commands over :mod:`camfleet.store`."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, get_args

import typer
from alembic.util.exc import CommandError as AlembicCommandError
from rich.console import Console
from rich.table import Table
from sqlalchemy.engine import make_url

from camfleet.analytics.schema import RuleType
from camfleet.commands._checks import check_choice, check_positive
from camfleet.config import StoreConfig, load_fleet
from camfleet.errors import ConfigError, StoreError
from camfleet.store.database import Database, default_database_url, open_database
from camfleet.store.location import StoreLocation, resolve_location
from camfleet.store.queries import Bucket, count_totals, list_events, parse_when
from camfleet.store.retention import RetentionPolicy, prune
from camfleet.store.snapshot_store import open_snapshot_store

__all__ = ["register"]

db_app = typer.Typer(help="Create, migrate and prune the event store.", no_args_is_help=True)

_URL_HELP = (
    "database URL (sqlite:///file.db or postgresql://user:pass@host/db); default: "
    "$CAMFLEET_DATABASE_URL, else the fleet YAML's store.database_url, else "
    "SQLite in --data-dir"
)
UrlOption = typer.Option(None, "--url", help=_URL_HELP)
DataDirOption = typer.Option(
    None, "--data-dir", help="snapshots and the default SQLite file [default: camfleet-data]"
)
ConfigOption = typer.Option(
    None, "--config", "-c", help="fleet YAML whose store section to use", exists=False
)


def _store_section(config: Path | None) -> StoreConfig | None:
    return load_fleet(config).store if config is not None else None


def _location(url: str | None, data_dir: Path | None, config: Path | None) -> StoreLocation:
    return resolve_location(url, data_dir, _store_section(config), os.environ)


def _open(location: StoreLocation) -> Database:
    return open_database(location.url, location.data_dir)


def _open_for_reading(location: StoreLocation) -> Database:
    url = make_url(location.url or default_database_url(location.data_dir))
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        raise StoreError(
            f"no event store at {url.database}; pass the --data-dir or --url that "
            "`camfleet run` used, or create one with `camfleet db upgrade`"
        )
    db = _open(location)
    if db.current() is None:
        db.dispose()
        raise StoreError(
            f"database {db.display_url} has no camfleet tables yet; run `camfleet db upgrade` "
            "(or `camfleet run`, which creates them) first"
        )
    return db


@contextmanager
def _known_revision(rev: str) -> Iterator[None]:
    """Alembic's error for a revision it does not know, as a one-line :class:`ConfigError`."""
    try:
        yield
    except AlembicCommandError as exc:
        raise ConfigError(
            f"revision {rev!r}: {exc}; use head, base or a revision id from "
            "`camfleet db current`"
        ) from exc


def _stdout() -> Console:
    return Console(highlight=False, soft_wrap=True)


@db_app.command("upgrade")
def upgrade(
    rev: str = typer.Argument("head", help="revision to migrate to"),
    url: str | None = UrlOption,
    data_dir: Path | None = DataDirOption,
    config: Path | None = ConfigOption,
) -> None:
    """Create or migrate the store's tables up to REV (default: newest)."""
    db = _open(_location(url, data_dir, config))
    try:
        with _known_revision(rev):
            db.upgrade(rev)
        _stdout().print(f"{db.display_url}: at revision {db.current() or 'base'}")
    finally:
        db.dispose()


@db_app.command("downgrade")
def downgrade(
    rev: str = typer.Argument(..., help="revision to migrate down to ('base' drops all tables)"),
    url: str | None = UrlOption,
    data_dir: Path | None = DataDirOption,
    config: Path | None = ConfigOption,
) -> None:
    """Migrate the store's tables down to REV."""
    db = _open(_location(url, data_dir, config))
    try:
        with _known_revision(rev):
            db.downgrade(rev)
        _stdout().print(f"{db.display_url}: at revision {db.current() or 'base'}")
    finally:
        db.dispose()


@db_app.command("current")
def current(
    url: str | None = UrlOption,
    data_dir: Path | None = DataDirOption,
    config: Path | None = ConfigOption,
) -> None:
    """Print the store's schema revision."""
    db = _open(_location(url, data_dir, config))
    try:
        _stdout().print(f"{db.display_url}: at revision {db.current() or 'base (empty)'}")
    finally:
        db.dispose()


@db_app.command("prune")
def prune_command(
    url: str | None = UrlOption,
    data_dir: Path | None = DataDirOption,
    config: Path | None = ConfigOption,
    retention_days: float | None = typer.Option(
        None, "--retention-days", help="delete events older than this [default: 30]"
    ),
    snapshot_budget_mb: float | None = typer.Option(
        None, "--snapshot-budget-mb", min=0.0, help="keep snapshots under this size [1024]"
    ),
) -> None:
    """Apply retention now: delete old events and snapshots, keep snapshots within budget."""
    check_positive("--retention-days", retention_days, "30")
    store = _store_section(config) or StoreConfig()
    location = resolve_location(url, data_dir, store if config else None, os.environ)
    policy = RetentionPolicy(
        retention_days if retention_days is not None else store.retention_days,
        snapshot_budget_mb if snapshot_budget_mb is not None else store.snapshot_budget_mb,
    )
    db = _open(location)
    try:
        with db.translate_errors("prune"):
            snapshots = open_snapshot_store(store.snapshot_store, location.data_dir)
            report = prune(db, snapshots, policy, time.time())
    finally:
        db.dispose()
    _stdout().print(
        f"{db.display_url}: deleted {report.events_deleted} events, "
        f"{report.snapshots_deleted} snapshots ({report.bytes_freed / 1e6:.1f} MB), "
        f"{report.deliveries_deleted} finished webhook deliveries"
    )


def _when(option: str, text: str | None, now: datetime) -> datetime | None:
    if text is None:
        return None
    try:
        return parse_when(text, now)
    except ConfigError as exc:
        raise ConfigError(f"{option} {exc}") from exc


def _time_text(value: datetime | None) -> str:
    return "" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _print_json(records: list[dict[str, Any]]) -> None:
    typer.echo(json.dumps(records, indent=2))


class _By(StrEnum):
    minute = "minute"
    hour = "hour"
    day = "day"

    @property
    def bucket(self) -> Bucket:
        return self.value


def events(
    camera: str | None = typer.Option(None, "--camera", help="only this camera id"),
    kind: str | None = typer.Option(None, "--type", help="presence, dwell, line_crossing or crowd"),
    since: str | None = typer.Option(None, "--since", help="ISO time or relative: 15m, 2h, 1d"),
    until: str | None = typer.Option(None, "--until", help="ISO time or relative: 15m, 2h, 1d"),
    limit: int = typer.Option(50, "--limit", min=1, help="at most this many, newest first"),
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
    url: str | None = UrlOption,
    data_dir: Path | None = DataDirOption,
    config: Path | None = ConfigOption,
) -> None:
    """List stored events, newest first (times in UTC)."""
    now = datetime.now(UTC)
    start, end = _when("--since", since, now), _when("--until", until, now)
    if kind is not None:
        check_choice("--type", kind, get_args(RuleType))
    db = _open_for_reading(_location(url, data_dir, config))
    try:
        found = list_events(db, camera=camera, kind=kind, since=start, until=end, limit=limit)
    finally:
        db.dispose()
    if as_json:
        _print_json([event.to_json() for event in found])
        return
    table = Table(title=f"{len(found)} events in {db.display_url}")
    for column in (
        "started (UTC)",
        "camera",
        "type",
        "class",
        "region",
        "duration",
        "max conf",
        "tracks",
        "rule",
        "snapshot",
    ):
        table.add_column(column)
    for e in found:
        duration = "open" if e.duration_s is None else f"{e.duration_s:.1f} s"
        table.add_row(
            _time_text(e.started_at),
            e.camera_id,
            e.kind,
            e.class_name,
            e.region or "",
            duration,
            f"{e.max_confidence:.2f}",
            ",".join(map(str, e.track_ids)),
            e.rule_id,
            e.snapshot_path or "",
        )
    _stdout().print(table)


def counts(
    camera: str | None = typer.Option(None, "--camera", help="only this camera id"),
    region: str | None = typer.Option(None, "--region", help="only this zone or line"),
    class_name: str | None = typer.Option(None, "--class", help="only this class name"),
    since: str | None = typer.Option(None, "--since", help="ISO time or relative: 15m, 2h, 1d"),
    until: str | None = typer.Option(None, "--until", help="ISO time or relative: 15m, 2h, 1d"),
    by: Annotated[_By | None, typer.Option("--by", help="per minute, hour or day")] = None,
    as_json: bool = typer.Option(False, "--json", help="print JSON instead of a table"),
    url: str | None = UrlOption,
    data_dir: Path | None = DataDirOption,
    config: Path | None = ConfigOption,
) -> None:
    """Count totals (in, out, present) per camera, zone/line and class."""
    bucket: Bucket | None = None if by is None else by.bucket
    now = datetime.now(UTC)
    start, end = _when("--since", since, now), _when("--until", until, now)
    db = _open_for_reading(_location(url, data_dir, config))
    try:
        totals = count_totals(
            db,
            camera=camera,
            region=region,
            class_name=class_name,
            since=start,
            until=end,
            by=bucket,
        )
    finally:
        db.dispose()
    if as_json:
        _print_json([total.to_json() for total in totals])
        return
    table = Table(title=f"counts in {db.display_url}")
    if bucket:
        table.add_column(f"{bucket} (UTC)")
    for column in ("camera", "region", "class", "in", "out", "present"):
        table.add_column(column, justify="right" if column in ("in", "out", "present") else "left")
    for t in totals:
        cells = [
            t.camera_id,
            t.region,
            t.class_name,
            str(t.count_in),
            str(t.count_out),
            str(t.present),
        ]
        table.add_row(*([_time_text(t.bucket_start)] if bucket else []), *cells)
    _stdout().print(table)


def register(app: typer.Typer) -> None:
    """Add ``db``, ``events`` and ``counts`` to the root app."""
    app.add_typer(db_app, name="db")
    app.command("events")(events)
    app.command("counts")(counts)

"""``camfleet run fleet.yaml``: run a fleet until Ctrl-C, with a live per-camera table."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType
from typing import Literal

import typer
from rich.live import Live

from camfleet.commands._checks import check_port_free, check_positive, check_writable_dir
from camfleet.commands._live import LiveTable
from camfleet.commands._render import make_console
from camfleet.config import FleetConfig, load_fleet
from camfleet.deploy.sharding import cameras_for_shard
from camfleet.engine import create_engine
from camfleet.engine.http import WorkerHttpServer
from camfleet.errors import ConfigError
from camfleet.store.database import default_database_url, mask_url, open_database
from camfleet.store.location import DATABASE_URL_ENV, resolve_location
from camfleet.wiring import StoreSinkFactory, model_names

__all__ = ["register", "select_shard"]

console = make_console()


def select_shard(fleet: FleetConfig, index: int | None, count: int | None) -> FleetConfig:
    """The part of ``fleet`` this worker serves (all of it without sharding)."""
    if index is None and count is None:
        return fleet
    if index is None or count is None or not 0 <= index < count:
        raise ConfigError(
            f"--shard-index {index} / --shard-count {count}: give both, with "
            "0 <= index < count"
        )
    mine = cameras_for_shard(fleet.cameras, index, count)
    if not mine:
        raise ConfigError(
            f"shard {index} of {count} has no cameras; lower --shard-count or add cameras"
        )
    return fleet.model_copy(update={"cameras": list(mine)})


def run(
    config: Path = typer.Argument(..., help="Fleet YAML (cameras, models, runtime)."),
    mode: str | None = typer.Option(None, help="Override runtime.mode: shared or timeslice."),
    duration: float | None = typer.Option(None, help="Stop after this many seconds."),
    shard_index: int | None = typer.Option(None, help="This worker's shard (0-based)."),
    shard_count: int | None = typer.Option(None, help="Number of workers sharing the fleet."),
    metrics_port: int | None = typer.Option(
        None, help="Serve /metrics, /healthz and /readyz on this port."
    ),
    data_dir: Path | None = typer.Option(
        None, help="Data directory (database, snapshots, cache); default: store.data_dir."
    ),
    db_url: str | None = typer.Option(
        None, "--db-url",
        help=f"Database URL; default: ${DATABASE_URL_ENV}, then store.database_url, then "
        "SQLite in the data directory.",
    ),
    refresh: float = typer.Option(1.0, help="Live table refresh interval, seconds."),
    stall_timeout: float = typer.Option(
        60.0, min=1.0,
        help="/healthz fails when a stage holding work (a streaming source, a model lane, "
        "the results threads) has made no progress for this many seconds.",
    ),
) -> None:
    """Run every camera of a fleet on this device until Ctrl-C (or --duration).

    Detections go through tracking and the cameras' rules; events and counts are stored in
    the database (SQLite by default) and delivered to webhooks.
    """
    check_positive("--duration", duration, "60")
    check_positive("--refresh", refresh, "1")
    if metrics_port is not None:
        check_port_free("--metrics-port", metrics_port)
    if data_dir is not None:
        check_writable_dir("--data-dir", data_dir)
    fleet = load_fleet(config)
    if mode is not None:
        if mode not in ("shared", "timeslice"):
            raise ConfigError(f"--mode {mode!r}: use 'shared' or 'timeslice'")
        chosen: Literal["shared", "timeslice"] = "shared" if mode == "shared" else "timeslice"
        fleet = fleet.model_copy(
            update={"runtime": fleet.runtime.model_copy(update={"mode": chosen})}
        )
    fleet = select_shard(fleet, shard_index, shard_count)
    location = resolve_location(db_url, data_dir, fleet.store, os.environ)
    open_database(location.url, location.data_dir).dispose()  # a wrong URL fails before models load
    sink_factory = StoreSinkFactory(location, model_names(fleet))
    engine = create_engine(fleet, sink_factory, cache_dir=location.data_dir / "cache")
    stop = threading.Event()
    started = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    server = None
    if metrics_port is not None:
        try:
            server = WorkerHttpServer(
                engine.metrics.registry,
                healthy=lambda: (
                    not stop.is_set() and engine.last_progress_age_s() < stall_timeout
                ),
                ready=started.is_set, port=metrics_port,
            )
        except OSError as exc:  # taken since the check above
            raise ConfigError(
                f"--metrics-port {metrics_port}: {exc.strerror or exc}; choose another port"
            ) from exc
        server.start()
    previous = signal.signal(signal.SIGTERM, on_signal)
    title = (
        f"camfleet run {config} - mode {fleet.runtime.mode}, {len(fleet.cameras)} cameras, "
        f"SLO {fleet.runtime.slo_ms:.0f} ms"
    )
    live_table = LiveTable(title)
    console.print(f"starting {len(fleet.cameras)} cameras ({fleet.runtime.mode}) ...")
    engine.start()
    started.set()
    try:
        with Live(live_table.render(engine.metrics.snapshot()), console=console,
                  refresh_per_second=4) as live:
            waited = 0.0
            while not stop.wait(refresh):
                waited += refresh
                live.update(live_table.render(engine.metrics.snapshot()))
                if duration is not None and waited >= duration:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        console.print("stopping: draining in-flight batches ...")
        engine.stop(drain=True)
        signal.signal(signal.SIGTERM, previous)
        if server is not None:
            server.stop()
    console.print(live_table.render(engine.metrics.snapshot(), whole_run=True))
    url = location.url or default_database_url(location.data_dir)
    console.print(f"events and counts stored in {mask_url(url)}")


def register(app: typer.Typer) -> None:
    app.command("run")(run)

"""``camfleet worker``: one engine that runs the cameras it leases from the fleet database."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path
from types import FrameType

import typer

from camfleet.cluster.capacity import worker_capacity
from camfleet.errors import ConfigError
from camfleet.paths import DEFAULT_DATA_DIR
from camfleet.store.location import DATABASE_URL_ENV, SNAPSHOT_STORE_ENV

__all__ = ["register"]


def worker(
    database_url: str | None = typer.Option(
        None, "--database-url", help=f"The fleet's database; default ${DATABASE_URL_ENV}."
    ),
    capacity: int | None = typer.Option(
        None, help="Most cameras this worker runs (default: --profile's measured capacity, "
        "else 16)."
    ),
    profile: Path | None = typer.Option(
        None, help="Bench profile (camfleet bench --json) whose shared capacity caps the worker."
    ),
    gated: bool = typer.Option(False, help="With --profile: use the motion-gated capacity."),
    data_dir: Path = typer.Option(DEFAULT_DATA_DIR, help="Model cache and local snapshots."),
    snapshot_store: str | None = typer.Option(
        None, envvar=SNAPSHOT_STORE_ENV,
        help="Where event snapshots go, shared with the API: s3://bucket/prefix or a folder "
        "every worker and the API mount (default: the fleet's store.snapshot_store, else "
        "DATA_DIR/snapshots).",
    ),
    worker_id: str | None = typer.Option(
        None, help="Name in the workers table (default: host name and a random suffix)."
    ),
    lease_ttl: float = typer.Option(
        10.0, help="Seconds a lease outlives its last renewal: a dead worker's cameras move "
        "after this."
    ),
    interval: float = typer.Option(3.0, help="Seconds between lease rounds."),
    handover_after: float = typer.Option(
        30.0, help="Seconds a camera runs here before it may be handed to a worker that joined."
    ),
    metrics_port: int | None = typer.Option(
        None, help="Serve /metrics, /healthz and /readyz on this port."
    ),
    metrics_host: str = typer.Option("0.0.0.0", help="Address for --metrics-port."),
) -> None:
    """Run the cameras this worker leases from the fleet database, until SIGTERM or Ctrl-C.

    Start several on one database (PostgreSQL) and they share the fleet: each claims free
    cameras up to its fair share and capacity, renews its leases every --interval seconds, and
    takes over the cameras of a worker that stopped renewing within --lease-ttl seconds. On
    SIGTERM it drains in-flight batches, then releases its cameras to the others.
    """
    url = database_url or os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise ConfigError(
            f"no database: pass --database-url postgresql://user:pass@host/db or set "
            f"{DATABASE_URL_ENV}"
        )
    if interval <= 0 or lease_ttl < 2 * interval:
        raise ConfigError(
            f"--lease-ttl {lease_ttl:g} / --interval {interval:g}: the TTL must be at least two "
            "lease rounds, or a live worker loses its cameras between renewals"
        )
    if handover_after < 0:
        raise ConfigError(f"--handover-after {handover_after:g}: must be 0 or more seconds")
    if metrics_port is not None and not 0 <= metrics_port <= 65535:
        raise ConfigError(f"--metrics-port {metrics_port}: use a port between 0 and 65535")
    from camfleet.cluster.runner import WorkerOptions, run_worker  # heavy: engine, store

    options = WorkerOptions(
        database_url=url,
        data_dir=data_dir,
        snapshot_store=snapshot_store,
        capacity=worker_capacity(capacity, profile, gated),
        worker_id=worker_id,
        lease_ttl_s=lease_ttl,
        interval_s=interval,
        handover_after_s=handover_after,
        metrics_host=metrics_host,
        metrics_port=metrics_port,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    run_worker(options, stop)


def register(app: typer.Typer) -> None:
    app.command("worker")(worker)

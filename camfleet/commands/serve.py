"""``camfleet serve``: the API, the dashboard and an in-process engine in one process.

The database is the source of truth: ``--config fleet.yaml`` imports the file into it first
(idempotent), the API edits it, and the engine follows it camera by camera. ``--no-engine``
runs the API alone in front of separate workers.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Literal, cast

import typer

from camfleet.api.app import create_app
from camfleet.api.plan import PlanSettings
from camfleet.api.server import ServiceServer, is_loopback
from camfleet.api.service import EngineView, Service
from camfleet.api.snapshots import SnapshotReader
from camfleet.commands._render import make_console
from camfleet.commands._service_db import DATA_DIR_OPTION, DB_URL_OPTION, open_service_db
from camfleet.config import FleetConfig, load_fleet
from camfleet.control.apikeys import ApiKeyStore
from camfleet.control.embedded import EmbeddedEngine, start_embedded_engine
from camfleet.control.repository import FleetRepository, model_class_names
from camfleet.errors import ConfigError
from camfleet.planner.catalog import load_catalog
from camfleet.planner.profile import load_profile
from camfleet.store.location import SNAPSHOT_STORE_ENV
from camfleet.store.snapshot_store import open_snapshot_store

__all__ = ["API_KEY_ENV", "ServeOptions", "register", "run_service"]

console = make_console()

API_KEY_ENV = "CAMFLEET_API_KEY"
ENV_KEY_NAME = "env"


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = 8080
    data_dir: Path | None = None
    db_url: str | None = None
    engine: bool = True
    profile: Path | None = None
    instance: str | None = None
    pricing: str = "on-demand"
    stall_limit_s: float = 60.0
    snapshot_store: str | None = None
    # A key given by the environment (CAMFLEET_API_KEY), stored as the key named 'env'.
    api_key: str | None = None


def _plan_settings(options: ServeOptions, fleet: FleetRepository) -> PlanSettings | None:
    if options.profile is None:
        return None
    catalog = load_catalog()
    if options.instance is not None and catalog.instance(options.instance) is None:
        raise ConfigError(
            f"--instance {options.instance!r} is not in the price catalog; "
            "`camfleet plan --help` shows how to list instance types"
        )
    return PlanSettings(
        profile=load_profile(options.profile), catalog=catalog, instance=options.instance,
        pricing=cast(Literal["on-demand", "spot"], options.pricing), mode="shared",
    )


def run_service(
    options: ServeOptions,
    fleet_config: FleetConfig | None = None,
    announce: Callable[[str], None] | None = None,
) -> None:
    """Start everything, call ``announce(url)``, serve until SIGINT/SIGTERM, stop cleanly."""
    if options.pricing not in ("on-demand", "spot"):
        raise ConfigError(f"--pricing {options.pricing!r}: use on-demand or spot")
    db, location = open_service_db(
        options.db_url, options.data_dir, fleet_config.store if fleet_config else None
    )
    embedded: EmbeddedEngine | None = None
    server: ServiceServer | None = None
    try:
        fleet = FleetRepository(db, model_class_names)
        if fleet_config is not None:
            fleet.import_fleet(fleet_config)
        keys = ApiKeyStore(db)
        if options.api_key:
            keys.import_token(ENV_KEY_NAME, options.api_key)
        if not is_loopback(options.host) and keys.active_count() == 0:
            raise ConfigError(
                f"--host {options.host} is reachable from other machines and no API key exists; "
                f"create one first (`camfleet apikey create --name admin`, or set {API_KEY_ENV} "
                "from `camfleet apikey token`) or serve on 127.0.0.1"
            )
        service = Service(
            db=db, fleet=fleet, keys=keys,
            read_snapshot=SnapshotReader(open_snapshot_store(
                options.snapshot_store or fleet.store_settings().snapshot_store,
                location.data_dir,
            )),
            plan=_plan_settings(options, fleet), stall_limit_s=options.stall_limit_s,
        )
        server = ServiceServer(create_app(service), options.host, options.port)
        server.start()  # /readyz answers 503 until the engine has started
        if options.engine:
            console.print("starting the engine (loading models) ...")
            embedded = start_embedded_engine(
                fleet, location, model_class_names, snapshot_store=options.snapshot_store
            )
            service.engine = cast(EngineView, embedded.engine)
            service.reconciler = embedded.reconciler
            service.engine_started.set()
        (announce or _announce)(server.url)
        _wait_for_signal()
    finally:
        console.print("stopping ...")
        if server is not None:
            server.stop()
        if embedded is not None:
            embedded.stop()
        db.dispose()


def _announce(url: str) -> None:
    console.print(f"camfleet serve: dashboard {url}/  API {url}/api/v1  docs {url}/docs",
                  highlight=False)


def _wait_for_signal() -> None:
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stop.wait(0.5):
            pass
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def serve(
    config: Path | None = typer.Option(
        None, "--config", help="Fleet YAML to import into the database first (idempotent)."
    ),
    host: str = typer.Option("127.0.0.1", help="Listen address; non-loopback needs an API key."),
    port: int = typer.Option(8080, min=0, max=65535, help="Listen port (0: any free port)."),
    data_dir: Path | None = DATA_DIR_OPTION,
    db_url: str | None = DB_URL_OPTION,
    no_engine: bool = typer.Option(
        False, "--no-engine", help="Serve the API only; separate workers run the cameras."
    ),
    profile: Path | None = typer.Option(
        None, "--profile", help="Bench profile JSON for /api/v1/plan ($/camera/month)."
    ),
    instance: str | None = typer.Option(
        None, "--instance", help="Instance type to price, e.g. g4dn.xlarge; default: cheapest."
    ),
    pricing: str = typer.Option("on-demand", help="on-demand or spot prices for the plan."),
    stall_limit: float = typer.Option(
        60.0, "--stall-limit", min=1.0, help="/healthz fails after this long without progress."
    ),
    snapshot_store: str | None = typer.Option(
        None, envvar=SNAPSHOT_STORE_ENV,
        help="Where event snapshots are kept, shared with the workers: s3://bucket/prefix or a "
        "folder (default: the fleet's store.snapshot_store, else DATA_DIR/snapshots).",
    ),
) -> None:
    """Serve the REST API (/api/v1, docs at /docs), the dashboard (/) and the engine.

    $CAMFLEET_API_KEY (from `camfleet apikey token`) is stored as the read-write key 'env'.
    """
    fleet = load_fleet(config) if config is not None else None
    run_service(ServeOptions(
        host=host, port=port, data_dir=data_dir, db_url=db_url, engine=not no_engine,
        profile=profile, instance=instance, pricing=pricing, stall_limit_s=stall_limit,
        snapshot_store=snapshot_store, api_key=os.environ.get(API_KEY_ENV) or None,
    ), fleet)


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)

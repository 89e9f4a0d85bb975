"""``camfleet fleet import|export``: the fleet YAML in and out of the service's database."""

from __future__ import annotations

from pathlib import Path

import typer
import yaml

from camfleet.commands._render import make_console
from camfleet.commands._service_db import DATA_DIR_OPTION, DB_URL_OPTION, open_service_db
from camfleet.config import load_fleet
from camfleet.control.repository import FleetRepository, model_class_names
from camfleet.errors import ConfigError

__all__ = ["register"]

console = make_console()
fleet_app = typer.Typer(help="Load a fleet YAML into the service's database, or write it out.",
                        no_args_is_help=True)


@fleet_app.command("import")
def import_fleet(
    config: Path = typer.Argument(..., help="Fleet YAML (cameras, models, runtime)."),
    data_dir: Path | None = DATA_DIR_OPTION,
    db_url: str | None = DB_URL_OPTION,
) -> None:
    """Store the fleet's models, cameras and settings (idempotent: again changes nothing).

    Cameras and models already stored but absent from the file are kept.
    """
    fleet = load_fleet(config)
    db, _ = open_service_db(db_url, data_dir, fleet.store)
    try:
        repository = FleetRepository(db, model_class_names)
        changed = repository.import_fleet(fleet)
        console.print(
            f"{'imported' if changed else 'already up to date:'} {len(fleet.cameras)} cameras, "
            f"{len(fleet.models)} models from {config} into {db.display_url} "
            f"(fleet revision {repository.revision()})"
        )
    finally:
        db.dispose()


@fleet_app.command("export")
def export_fleet(
    output: Path | None = typer.Option(None, "-o", "--output", help="Write here, not stdout."),
    data_dir: Path | None = DATA_DIR_OPTION,
    db_url: str | None = DB_URL_OPTION,
) -> None:
    """Write the stored fleet as fleet YAML (with its secrets: keep the file private)."""
    db, _ = open_service_db(db_url, data_dir)
    try:
        fleet = FleetRepository(db).export_fleet()
    finally:
        db.dispose()
    text = yaml.safe_dump(fleet.model_dump(mode="json"), sort_keys=False)
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.write_text(text, encoding="utf-8")
        output.chmod(0o600)
    except OSError as exc:
        raise ConfigError(f"cannot write {output}: {exc.strerror or exc}; pick another -o") from exc
    console.print(f"wrote {len(fleet.cameras)} cameras to {output}")


def register(app: typer.Typer) -> None:
    app.add_typer(fleet_app, name="fleet")

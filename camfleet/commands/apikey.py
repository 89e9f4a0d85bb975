"""``camfleet apikey create|list|revoke``: keys for the service's API."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import typer
from rich.table import Table

from camfleet.commands._render import make_console
from camfleet.commands._service_db import DATA_DIR_OPTION, DB_URL_OPTION, open_service_db
from camfleet.control.apikeys import ApiKeyStore, new_token

__all__ = ["register"]

console = make_console()
apikey_app = typer.Typer(help="API keys for `camfleet serve` (stored hashed).",
                         no_args_is_help=True)


def _when(value: datetime | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d %H:%M:%S UTC")


@apikey_app.command("create")
def create(
    name: str = typer.Option(..., "--name", help="A name to tell keys apart."),
    read_only: bool = typer.Option(False, "--read-only", help="GET only: cannot change anything."),
    data_dir: Path | None = DATA_DIR_OPTION,
    db_url: str | None = DB_URL_OPTION,
) -> None:
    """Create a key and print it once (only its hash is stored)."""
    db, _ = open_service_db(db_url, data_dir)
    try:
        key, token = ApiKeyStore(db).create(name, read_only=read_only)
    finally:
        db.dispose()
    console.print(
        f"API key {key.name!r} ({'read-only' if key.read_only else 'read-write'}) created; "
        "store it now, it is not shown again:", highlight=False,
    )
    typer.echo(token)


@apikey_app.command("list")
def list_keys(
    data_dir: Path | None = DATA_DIR_OPTION, db_url: str | None = DB_URL_OPTION
) -> None:
    """Every key with its access, creation, last use and revocation (never the key itself)."""
    db, _ = open_service_db(db_url, data_dir)
    try:
        keys = ApiKeyStore(db).list()
    finally:
        db.dispose()
    table = Table(title="API keys", title_justify="left")
    for column in ("name", "prefix", "access", "created", "last used", "revoked"):
        table.add_column(column)
    for key in keys:
        table.add_row(
            key.name, f"cf_{key.prefix}_...", "read-only" if key.read_only else "read-write",
            _when(key.created_at), _when(key.last_used_at), _when(key.revoked_at),
        )
    console.print(table)


@apikey_app.command("revoke")
def revoke(
    name: str = typer.Argument(..., help="The key's name."),
    data_dir: Path | None = DATA_DIR_OPTION,
    db_url: str | None = DB_URL_OPTION,
) -> None:
    """Revoke a key: requests with it get 401 from now on."""
    db, _ = open_service_db(db_url, data_dir)
    try:
        key = ApiKeyStore(db).revoke(name)
    finally:
        db.dispose()
    console.print(f"API key {key.name!r} revoked at {_when(key.revoked_at)}", highlight=False)


@apikey_app.command("token")
def token() -> None:
    """Print a fresh key without storing it: for `CAMFLEET_API_KEY` (a Kubernetes Secret), which
    `camfleet serve` stores (hashed) as the key named 'env' when it starts."""
    typer.echo(new_token())


def register(app: typer.Typer) -> None:
    app.add_typer(apikey_app, name="apikey")

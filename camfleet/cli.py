"""The ``camfleet`` command line: thin Typer commands that call into the layers below.

Each command group lives in :mod:`camfleet.commands` and registers itself here. Errors derived
from :class:`~camfleet.errors.CamfleetError` print as one line (``camfleet: ...``) with exit
code 2; ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console

from camfleet import __version__
from camfleet.commands import (
    apikey,
    bench,
    demo,
    deploy,
    detect,
    fleet,
    model,
    plan,
    run,
    serve,
    simulate,
    soak,
    store,
    worker,
)
from camfleet.control.secrets import SecretMaskingFilter
from camfleet.errors import CamfleetError

__all__ = ["app", "main"]

app = typer.Typer(
    name="camfleet",
    help="YOLOv8 detection on many cameras at the lowest cost per camera.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"camfleet {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks and debug logs."),
) -> None:
    logging.basicConfig(
        level=logging.DEBUG if debug else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Camera passwords and webhook secrets never reach a log line.
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, SecretMaskingFilter) for f in handler.filters):
            handler.addFilter(SecretMaskingFilter())


for _module in (
    demo, detect, run, serve, worker, fleet, apikey, bench, soak, simulate, model, plan, deploy,
    store,
):
    _module.register(app)


def main() -> None:
    """Console-script entry point."""
    debug = "--debug" in sys.argv[1:]
    try:
        app()
    except CamfleetError as exc:
        if debug:
            raise
        Console(stderr=True, highlight=False, soft_wrap=True).print(
            f"[bold red]camfleet:[/] {exc}", markup=True
        )
        sys.exit(2)
    except KeyboardInterrupt:
        sys.exit(130)

"""The ``camfleet`` command line: thin Typer commands that call into the layers below.

Each command group lives in :mod:`camfleet.commands` and registers itself here. Errors derived
from :class:`~camfleet.errors.CamfleetError` and Click's usage errors (an option out of range,
an unknown choice) print as one line (``camfleet: ...``) with exit code 2; ``--debug`` shows
the traceback of a :class:`~camfleet.errors.CamfleetError` instead.
"""

from __future__ import annotations

import logging
import sys

import typer
from rich.console import Console
from rich.markup import escape

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


def _given_value(args: list[str], options: list[str]) -> str | None:
    """What the command line gave for an option (``--x V`` or ``--x=V``), if it did."""
    for index, arg in enumerate(args):
        for option in options:
            if arg == option and index + 1 < len(args):
                return args[index + 1]
            if arg.startswith(f"{option}="):
                return arg.removeprefix(f"{option}=")
    return None


def usage_message(error: typer.TyperException, args: list[str]) -> str:
    """A Click usage error as one line naming the command, the value given and where the
    command's help is."""
    message = " ".join(error.format_message().split())
    param = getattr(error, "param", None)
    options = [o for o in getattr(param, "opts", []) if o.startswith("-")]
    given = _given_value(args, options) if options else None
    if given is not None:
        message = f"{message} (got {given!r})"
    context = getattr(error, "ctx", None)
    if context is None:
        return message
    command = context.command_path
    where = command.removeprefix("camfleet").strip()
    prefix = f"{where}: " if where else ""
    return f"{prefix}{message}; see '{command} --help'"


def _print_error(message: str) -> None:
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]camfleet:[/] {escape(message)}", markup=True
    )


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point; ``argv`` defaults to ``sys.argv[1:]``."""
    args = sys.argv[1:] if argv is None else argv
    debug = "--debug" in args
    try:
        code = app(args=args, prog_name="camfleet", standalone_mode=False)
    except typer.TyperException as exc:
        # A group called without a command has already printed its help (Typer names this
        # exception only by class name too: it is not public).
        if type(exc).__name__ != "NoArgsIsHelpError":
            _print_error(usage_message(exc, args))
        sys.exit(exc.exit_code if exc.exit_code else 2)
    except CamfleetError as exc:
        if debug:
            raise
        _print_error(str(exc))
        sys.exit(2)
    except (KeyboardInterrupt, typer.Abort):
        sys.exit(130)
    if isinstance(code, int) and code:
        sys.exit(code)

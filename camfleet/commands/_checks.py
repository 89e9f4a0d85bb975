"""Checks of command-line values, run before a command starts any work.

Each check raises :class:`~camfleet.errors.ConfigError` with one line naming the option, the
value given and the fix, e.g. ``--conf 2: must be between 0 and 1; e.g. --conf 0.25``.
"""

from __future__ import annotations

import errno
import os
import socket
from collections.abc import Iterable
from pathlib import Path

from camfleet.errors import ConfigError
from camfleet.model.session import PROVIDERS

__all__ = [
    "check_between",
    "check_choice",
    "check_existing_file",
    "check_port_free",
    "check_positive",
    "check_provider_name",
    "check_writable_dir",
    "check_writable_file",
]


def _shown(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def check_positive(
    option: str, value: float | None, example: str, *, zero_ok: bool = False
) -> None:
    """``value`` > 0 (or >= 0 with ``zero_ok``); None means "not given" and passes."""
    if value is None or value > 0 or (zero_ok and value == 0):
        return
    bound = "zero or more" if zero_ok else "greater than 0"
    raise ConfigError(f"{option} {_shown(value)}: must be {bound}; e.g. {option} {example}")


def check_between(
    option: str, value: float | None, low: float, high: float, example: str,
    *, low_open: bool = False,
) -> None:
    """``low <= value <= high`` (``low < value`` with ``low_open``); None passes."""
    if value is None:
        return
    above_low = value > low if low_open else value >= low
    if above_low and value <= high:
        return
    lower = "above" if low_open else "from"
    raise ConfigError(
        f"{option} {_shown(value)}: must be {lower} {low:g} up to {high:g}; e.g. {option} {example}"
    )


def check_choice(option: str, value: str, allowed: Iterable[str]) -> None:
    choices = tuple(allowed)
    if value not in choices:
        raise ConfigError(f"{option} {value!r}: use one of {', '.join(choices)}")


def check_provider_name(option: str, value: str) -> None:
    """A provider camfleet knows; whether this machine has it is checked when a model loads."""
    check_choice(option, value, PROVIDERS)


def check_existing_file(option: str, path: Path) -> None:
    if not path.is_file():
        reason = "is a directory" if path.is_dir() else "does not exist"
        raise ConfigError(f"{option} {path}: {reason}; give the path of an existing file")


def _first_existing(path: Path) -> Path:
    """``path`` or its nearest existing ancestor (where a new file or folder would be made)."""
    current = path.absolute()
    while not current.exists() and current != current.parent:
        current = current.parent
    return current


def check_writable_dir(option: str, path: Path) -> None:
    """``path`` is a writable directory or can be created as one (nothing is created)."""
    _check_can_create(option, path, path)


def check_writable_file(option: str, path: Path) -> None:
    """``path`` can be written (an existing file, or a new one in a creatable directory)."""
    if path.is_dir():
        raise ConfigError(f"{option} {path}: is a directory; give a file name")
    if path.exists():
        if not os.access(path, os.W_OK):
            raise ConfigError(f"{option} {path}: file is not writable; choose another path")
        return
    _check_can_create(option, path, path.parent)


def _check_can_create(option: str, given: Path, directory: Path) -> None:
    existing = _first_existing(directory)
    if not existing.is_dir():
        raise ConfigError(
            f"{option} {given}: {existing} is a file, not a directory; choose another path"
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{option} {given}: {existing} is not writable; choose a directory you can write"
        )


def check_port_free(option: str, port: int, host: str = "0.0.0.0") -> None:
    """``port`` is a TCP port number that nothing on ``host`` listens on yet."""
    if not 0 <= port <= 65535:
        raise ConfigError(f"{option} {port}: not a TCP port; use 1-65535 (or 0 for any free one)")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # As http.server does, so that a port left in TIME_WAIT still counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            why = "already in use" if exc.errno == errno.EADDRINUSE else (exc.strerror or str(exc))
            raise ConfigError(
                f"{option} {port}: {why}; stop what listens there or choose another port"
            ) from exc

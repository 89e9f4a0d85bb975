"""Reading an event's snapshot by its stored reference, never outside the snapshot root.

Stored references are ``file://`` URIs or (older rows) plain paths. The resolved file must lie
under the root directory, so a crafted reference cannot read any other file.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from camfleet.control.errors import NotFoundError
from camfleet.errors import StoreError

__all__ = ["LocalSnapshotReader"]


class LocalSnapshotReader:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def __call__(self, reference: str) -> bytes:
        path = Path(unquote(urlsplit(reference).path)) if reference.startswith("file://") \
            else Path(reference)
        if not path.is_absolute():
            path = self.root / path
        resolved = path.resolve()
        if not resolved.is_relative_to(self.root):
            raise NotFoundError(
                f"snapshot reference {reference!r} is outside the snapshot folder; refused"
            )
        try:
            return resolved.read_bytes()
        except FileNotFoundError as exc:
            raise NotFoundError("the event's snapshot file is gone (pruned by retention)") from exc
        except OSError as exc:
            raise StoreError(f"cannot read the event's snapshot: {exc.strerror or exc}") from exc

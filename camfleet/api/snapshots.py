"""Reading an event's snapshot by its stored reference, through the fleet's snapshot store.

References are ``file://`` or ``s3://`` URIs (or, in older rows, plain paths). The store reads
only what lies under its own root, so a crafted reference cannot read any other file or
object; to a client, a refused reference and a missing one look the same (404).
"""

from __future__ import annotations

from camfleet.control.errors import NotFoundError
from camfleet.store.snapshot_store import (
    SnapshotNotFoundError,
    SnapshotRefusedError,
    SnapshotStore,
)

__all__ = ["SnapshotReader"]


class SnapshotReader:
    def __init__(self, store: SnapshotStore) -> None:
        self.store = store

    def __call__(self, reference: str) -> bytes:
        try:
            return self.store.get(reference)
        except SnapshotNotFoundError as exc:
            raise NotFoundError("the event's snapshot is gone (pruned by retention)") from exc
        except SnapshotRefusedError as exc:
            raise NotFoundError(
                "the event's snapshot is outside this service's snapshot store; refused"
            ) from exc

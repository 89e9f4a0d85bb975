"""Naming event snapshots, and writing a file so a reader never sees half a JPEG."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["snapshot_key", "snapshot_path", "write_atomically"]

_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]")


def _safe_name(text: str) -> str:
    cleaned = _UNSAFE.sub("_", text).lstrip(".") or "_"
    if cleaned == text:
        return text
    # Two ids that clean to the same text must still get different files.
    return f"{cleaned}-{hashlib.sha1(text.encode()).hexdigest()[:8]}"


def snapshot_key(camera_id: str, started_at: float, event_id: str) -> str:
    """``<camera>/<yyyy-mm-dd>/<event_id>.jpg`` (UTC date of the event start); every part is
    cleaned, so a key never climbs out of the store's root."""
    day = datetime.fromtimestamp(started_at, tz=UTC).strftime("%Y-%m-%d")
    return f"{_safe_name(camera_id)}/{day}/{_safe_name(event_id)}.jpg"


def snapshot_path(snapshots_dir: Path, camera_id: str, started_at: float, event_id: str) -> Path:
    """Where :func:`snapshot_key` lies under a local ``snapshots_dir``."""
    return snapshots_dir / snapshot_key(camera_id, started_at, event_id)


def write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path`` and rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise

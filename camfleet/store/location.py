"""Where the store lives, resolved once at the command-line edge.

Database URL: ``--url``, else ``CAMFLEET_DATABASE_URL``, else the fleet YAML's
``store.database_url``, else SQLite at ``<data_dir>/camfleet.db``. Data directory: ``--data-dir``,
else the fleet YAML's ``store.data_dir``, else ``camfleet-data``. Snapshots go under
``<data_dir>/snapshots``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from camfleet.config import StoreConfig
from camfleet.paths import DEFAULT_DATA_DIR

__all__ = [
    "DATABASE_URL_ENV",
    "SNAPSHOT_STORE_ENV",
    "StoreLocation",
    "resolve_location",
    "snapshots_dir",
]

DATABASE_URL_ENV = "CAMFLEET_DATABASE_URL"
SNAPSHOT_STORE_ENV = "CAMFLEET_SNAPSHOT_STORE"


def snapshots_dir(data_dir: Path) -> Path:
    return data_dir / "snapshots"


@dataclass(frozen=True, slots=True)
class StoreLocation:
    url: str | None  # None: the SQLite default under data_dir
    data_dir: Path

    @property
    def snapshots_dir(self) -> Path:
        return snapshots_dir(self.data_dir)


def resolve_location(
    url: str | None,
    data_dir: Path | None,
    store: StoreConfig | None,
    environ: Mapping[str, str],
) -> StoreLocation:
    """Apply the precedence above; ``store`` is the fleet YAML's section when one was given."""
    resolved_url = url or environ.get(DATABASE_URL_ENV) or (store.database_url if store else None)
    if data_dir is None:
        data_dir = Path(store.data_dir) if store else DEFAULT_DATA_DIR
    return StoreLocation(resolved_url or None, data_dir)

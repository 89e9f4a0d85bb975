"""What the API routes work with: the stored fleet, the keys, and (optionally) a running engine.

The engine is anything with the calls of INTERFACES.md the API needs (:class:`EngineView`);
``None`` is ``camfleet serve --no-engine``, the API in front of separate workers.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from camfleet.api.plan import PlanSettings
from camfleet.control.apikeys import ApiKeyStore
from camfleet.control.reconcile import Reconciler
from camfleet.control.repository import FleetRepository
from camfleet.engine.metrics import FleetMetrics
from camfleet.store.database import Database

__all__ = ["EngineView", "Service"]


class EngineView(Protocol):
    """The engine calls the API reads (INTERFACES.md, "Engine at run time" and "Metrics")."""

    @property
    def metrics(self) -> FleetMetrics: ...

    def camera_ids(self) -> frozenset[str]: ...

    def latest_frame_jpeg(self, camera_id: str) -> bytes | None: ...

    def last_progress_age_s(self) -> float: ...


@dataclass(slots=True)
class Service:
    db: Database
    fleet: FleetRepository
    keys: ApiKeyStore
    read_snapshot: Callable[[str], bytes]
    engine: EngineView | None = None
    reconciler: Reconciler | None = None
    plan: PlanSettings | None = None
    # /healthz fails when the engine made no progress for this long while it has cameras.
    stall_limit_s: float = 60.0
    engine_started: threading.Event = field(default_factory=threading.Event)
    started_at: float = field(default_factory=time.monotonic)

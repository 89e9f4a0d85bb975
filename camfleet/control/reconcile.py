"""Make a running engine converge to the desired fleet, one camera at a time.

Every ~1 s :class:`Reconciler` compares the desired cameras (a callable: the enabled cameras
in the database for ``camfleet serve``, a worker's leased cameras for a scaled-out worker) with
what it last applied, and calls ``add_camera``, ``remove_camera`` or ``replace_camera`` for the
differences only, so untouched cameras keep running. Each step is idempotent; a camera that
fails to start is retried later (or as soon as its config changes) without holding up others.
Changing an existing model's settings reaches cameras that are (re)started after it; models
already loaded keep their lanes (``set_models`` only adds new model ids).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Protocol

from camfleet.config import CameraConfig, ModelConfig
from camfleet.errors import CamfleetError

__all__ = ["DesiredFleet", "ReconcileStep", "Reconciler", "RuntimeEngine"]

log = logging.getLogger(__name__)


class RuntimeEngine(Protocol):
    """The engine calls of INTERFACES.md ("Engine at run time") the reconciler uses."""

    def add_camera(self, camera: CameraConfig) -> None: ...

    def remove_camera(self, camera_id: str) -> None: ...

    def replace_camera(self, camera: CameraConfig) -> None: ...

    def set_models(self, models: Mapping[str, ModelConfig]) -> None: ...


@dataclass(frozen=True, slots=True)
class DesiredFleet:
    models: Mapping[str, ModelConfig]
    cameras: Sequence[CameraConfig]


@dataclass(slots=True)
class ReconcileStep:
    """What one step changed, and what failed (camera id -> one-line reason)."""

    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    replaced: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return bool(self.added or self.removed or self.replaced)


class Reconciler:
    """Drives ``engine`` towards ``desired()``; ``revision()`` (when given) lets a step skip
    reading the desired state while nothing changed and nothing waits for a retry."""

    def __init__(
        self,
        engine: RuntimeEngine,
        desired: Callable[[], DesiredFleet],
        revision: Callable[[], int] | None = None,
        *,
        interval_s: float = 1.0,
        retry_s: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
        on_change: Callable[[DesiredFleet], None] | None = None,
    ) -> None:
        self._engine = engine
        self._desired = desired
        self._revision = revision
        self._interval_s = interval_s
        self._retry_s = retry_s
        self._clock = clock
        self._on_change = on_change
        self._applied: dict[str, CameraConfig] = {}
        self._models: set[str] = set()
        self._failed: dict[str, tuple[CameraConfig, str, float]] = {}
        self._seen_revision: int | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def failures(self) -> dict[str, str]:
        """Cameras that could not be started, with the reason."""
        with self._lock:
            return {camera_id: reason for camera_id, (_, reason, _) in self._failed.items()}

    @property
    def running(self) -> frozenset[str]:
        with self._lock:
            return frozenset(self._applied)

    def step(self) -> ReconcileStep:
        """One comparison and the engine calls it needs."""
        with self._lock:
            return self._step()

    def _step(self) -> ReconcileStep:
        result = ReconcileStep()
        now = self._clock()
        revision = self._revision() if self._revision is not None else None
        retry_due = any(due <= now for _, _, due in self._failed.values())
        if revision is not None and revision == self._seen_revision and not retry_due:
            return result
        desired = self._desired()
        wanted = {camera.id: camera for camera in desired.cameras}
        model_errors = self._load_models(desired, wanted.values())
        for camera_id in sorted(self._applied.keys() - wanted.keys()):
            self._call(result, camera_id, partial(self._engine.remove_camera, camera_id))
            self._applied.pop(camera_id, None)
            result.removed.append(camera_id)
        for camera_id in sorted(self._failed.keys() - wanted.keys()):
            del self._failed[camera_id]
        for camera_id, camera in sorted(wanted.items()):
            running = self._applied.get(camera_id)
            if running == camera:
                continue
            failed = self._failed.get(camera_id)
            if failed is not None and failed[0] == camera and failed[2] > now:
                continue
            missing = next((model_errors[m] for m in camera.models if m in model_errors), None)
            if missing is not None:
                self._fail(result, camera, missing, now)
                continue
            if running is None:
                ok = self._call(result, camera_id, partial(self._engine.add_camera, camera))
                target = result.added
            else:
                ok = self._call(result, camera_id, partial(self._engine.replace_camera, camera))
                target = result.replaced
                if not ok:
                    # replace is remove + add: after a failed add the camera is not running.
                    self._applied.pop(camera_id, None)
            if ok:
                self._applied[camera_id] = camera
                self._failed.pop(camera_id, None)
                target.append(camera_id)
            else:
                self._fail(result, camera, result.failed[camera_id], now)
        self._seen_revision = revision
        if result.changed and self._on_change is not None:
            self._on_change(desired)
        return result

    def _load_models(
        self, desired: DesiredFleet, cameras: Iterable[CameraConfig]
    ) -> dict[str, str]:
        """Register models the wanted cameras need; model id -> reason for those that fail."""
        needed = {m for camera in cameras for m in camera.models}
        errors: dict[str, str] = {}
        new: dict[str, ModelConfig] = {}
        for model_id in sorted(needed - self._models):
            if model_id in desired.models:
                new[model_id] = desired.models[model_id]
            else:
                errors[model_id] = f"model {model_id!r} is not defined; register it first"
        if new:
            try:
                self._engine.set_models(new)
                self._models |= new.keys()
            except CamfleetError as exc:
                log.warning("models %s: %s", sorted(new), exc)
                errors.update(dict.fromkeys(new, str(exc)))
        return errors

    def _call(self, result: ReconcileStep, camera_id: str, action: Callable[[], None]) -> bool:
        try:
            action()
        except CamfleetError as exc:
            result.failed[camera_id] = str(exc)
            return False
        except Exception as exc:  # an engine bug must not stop the other cameras converging
            log.exception("camera %r: reconciling failed", camera_id)
            result.failed[camera_id] = f"{type(exc).__name__}: {exc}"
            return False
        return True

    def _fail(self, result: ReconcileStep, camera: CameraConfig, reason: str, now: float) -> None:
        if self._failed.get(camera.id, (None, None, 0.0))[1] != reason:
            log.warning("camera %r: cannot start: %s (retrying in %.0f s)", camera.id, reason,
                        self._retry_s)
        result.failed[camera.id] = reason
        self._failed[camera.id] = (camera, reason, now + self._retry_s)

    # -- background loop ---------------------------------------------------------------------

    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name="reconcile", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.step()
            except CamfleetError as exc:  # e.g. the database briefly unreachable
                log.warning("reconcile: %s", exc)
            except Exception:
                log.exception("reconcile step failed")
            self._stop.wait(self._interval_s)

"""The reconciler calls the engine for the differences only, retries failures later, and
skips work while the revision is unchanged (a fake clock drives the retries)."""

from __future__ import annotations

from collections.abc import Mapping

from camfleet.config import CameraConfig, ModelConfig
from camfleet.control.reconcile import DesiredFleet, Reconciler
from camfleet.errors import SourceError

MODELS = {"default": ModelConfig()}


def camera(camera_id: str, fps: float = 2.0, model: str = "default") -> CameraConfig:
    return CameraConfig(id=camera_id, source="synthetic:64x48@5", analyze_fps=fps,
                        models=[model])


class RecordingEngine:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str]] = []
        self.running: dict[str, CameraConfig] = {}
        self.refuse: set[str] = set()

    def add_camera(self, camera: CameraConfig) -> None:
        if camera.id in self.refuse:
            raise SourceError(f"camera {camera.id!r}: cannot open")
        self.calls.append(("add", camera.id))
        self.running[camera.id] = camera

    def remove_camera(self, camera_id: str) -> None:
        self.calls.append(("remove", camera_id))
        self.running.pop(camera_id)

    def replace_camera(self, camera: CameraConfig) -> None:
        self.calls.append(("replace", camera.id))
        self.running[camera.id] = camera

    def set_models(self, models: Mapping[str, ModelConfig]) -> None:
        self.calls.append(("models", ",".join(sorted(models))))


class Desired:
    def __init__(self, *cameras: CameraConfig) -> None:
        self.cameras = list(cameras)
        self.revision = 1
        self.reads = 0

    def __call__(self) -> DesiredFleet:
        self.reads += 1
        return DesiredFleet(MODELS, list(self.cameras))

    def change(self, *cameras: CameraConfig) -> None:
        self.cameras = list(cameras)
        self.revision += 1


def test_only_differences_reach_the_engine() -> None:
    engine, desired = RecordingEngine(), Desired(camera("a"), camera("b"), camera("c"))
    reconciler = Reconciler(engine, desired, lambda: desired.revision)
    first = reconciler.step()
    assert first.added == ["a", "b", "c"]
    assert engine.calls[0] == ("models", "default")
    engine.calls.clear()
    desired.change(camera("a"), camera("b", fps=4), camera("d"))
    step = reconciler.step()
    assert (step.added, step.removed, step.replaced) == (["d"], ["c"], ["b"])
    assert sorted(engine.calls) == [("add", "d"), ("remove", "c"), ("replace", "b")]
    assert set(engine.running) == {"a", "b", "d"} and engine.running["b"].analyze_fps == 4


def test_an_unchanged_revision_reads_nothing() -> None:
    engine, desired = RecordingEngine(), Desired(camera("a"))
    reconciler = Reconciler(engine, desired, lambda: desired.revision)
    reconciler.step()
    reads = desired.reads
    for _ in range(5):
        assert not reconciler.step().changed
    assert desired.reads == reads


def test_a_failing_camera_is_retried_later_without_blocking_others() -> None:
    now = [0.0]
    engine, desired = RecordingEngine(), Desired(camera("a"), camera("bad"))
    engine.refuse.add("bad")
    reconciler = Reconciler(engine, desired, lambda: desired.revision, retry_s=30.0,
                            clock=lambda: now[0])
    step = reconciler.step()
    assert step.added == ["a"] and "cannot open" in step.failed["bad"]
    assert reconciler.failures == {"bad": "camera 'bad': cannot open"}
    now[0] = 10.0
    assert reconciler.step().failed == {}  # not due yet: not tried again
    engine.refuse.clear()
    now[0] = 31.0
    assert reconciler.step().added == ["bad"]
    assert reconciler.failures == {}


def test_a_changed_config_is_retried_at_once() -> None:
    engine, desired = RecordingEngine(), Desired(camera("bad"))
    engine.refuse.add("bad")
    reconciler = Reconciler(engine, desired, lambda: desired.revision, clock=lambda: 0.0)
    reconciler.step()
    engine.refuse.clear()
    desired.change(camera("bad", fps=1))
    assert reconciler.step().added == ["bad"]


def test_a_camera_on_an_unknown_model_fails_with_the_reason() -> None:
    engine, desired = RecordingEngine(), Desired(camera("a", model="ghost"))
    step = Reconciler(engine, desired).step()
    assert "model 'ghost' is not defined" in step.failed["a"]
    assert engine.running == {}

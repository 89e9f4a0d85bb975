"""The fleet in the database, on SQLite and PostgreSQL: idempotent import, revisions,
cross-object checks, nothing stored half-way, export round trip."""

from __future__ import annotations

import threading

import pytest

from camfleet.commands.demo import demo_fleet
from camfleet.config import CameraConfig, ModelConfig
from camfleet.control.errors import ConflictError, NotFoundError
from camfleet.control.repository import FleetRepository, model_class_names
from camfleet.errors import ConfigError
from camfleet.store.database import Database


def test_import_is_idempotent_and_export_round_trips(db: Database) -> None:
    fleet = FleetRepository(db, model_class_names)
    assert fleet.revision() == 0
    assert fleet.import_fleet(demo_fleet()) is True
    revision = fleet.revision()
    assert fleet.import_fleet(demo_fleet()) is False
    assert fleet.revision() == revision
    assert fleet.export_fleet() == demo_fleet()


def test_import_keeps_the_enabled_flag_and_other_cameras(db: Database) -> None:
    fleet = FleetRepository(db)
    fleet.import_fleet(demo_fleet())
    fleet.set_camera_enabled("bikes", False)
    fleet.create_camera(CameraConfig(id="extra", source="synthetic:64x48@5"))
    fleet.import_fleet(demo_fleet())
    assert not fleet.get_camera("bikes").enabled
    assert [c.id for c in fleet.enabled_cameras()] == ["carphone", "extra"]


def test_cross_object_checks_store_nothing(db: Database) -> None:
    fleet = FleetRepository(db, model_class_names)
    fleet.import_fleet(demo_fleet())
    revision = fleet.revision()
    with pytest.raises(ConfigError, match="unknown model 'ghost'"):
        fleet.create_camera(CameraConfig(id="x", source="a.mp4", models=["ghost"]))
    bad_class = CameraConfig.model_validate({
        "id": "x", "source": "a.mp4",
        "rules": [{"name": "r", "type": "presence", "classes": ["Cat"]}],
    })
    with pytest.raises(ConfigError, match="class 'Cat' is not a class of model 'default'"):
        fleet.create_camera(bad_class)
    with pytest.raises(ConflictError, match="used by cameras"):
        fleet.delete_model("default")
    with pytest.raises(NotFoundError):
        fleet.update_camera(CameraConfig(id="nope", source="a.mp4"))
    with pytest.raises(ConfigError, match="model id"):
        fleet.put_model("bad id!", ModelConfig())
    assert fleet.revision() == revision
    assert [c.camera.id for c in fleet.list_cameras()] == ["bikes", "carphone"]


def test_concurrent_changes_each_get_their_own_revision(db: Database) -> None:
    fleet = FleetRepository(db)
    fleet.import_fleet(demo_fleet())
    start = fleet.revision()
    errors: list[BaseException] = []

    def add(index: int) -> None:
        try:
            fleet.create_camera(CameraConfig(id=f"c{index}", source="synthetic:64x48@5"))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=add, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    revisions = sorted(fleet.get_camera(f"c{i}").revision for i in range(8))
    assert revisions == list(range(start + 1, start + 9))
    assert fleet.revision() == start + 8

"""The fleet in the database: the source of truth the API edits and engines converge to.

Every change runs in one transaction that also bumps the single-row ``fleet_revision``
counter, so a reconciler polling :meth:`FleetRepository.revision` sees each change once and a
failed change stores nothing. Cameras and models are validated by the same pydantic models as
the YAML, plus the fleet validator's cross-object checks (a camera naming an unknown model, a
rule naming a class its model does not detect).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import Connection, delete, func, insert, select, update

from camfleet.analytics.schema import check_class_names
from camfleet.config import CameraConfig, FleetConfig, ModelConfig, RuntimeConfig, StoreConfig
from camfleet.control.errors import ConflictError, NotFoundError
from camfleet.documents import validation_message
from camfleet.errors import ConfigError
from camfleet.model import inspect_model
from camfleet.paths import resolve_asset
from camfleet.store.database import Database
from camfleet.store.schema import (
    FleetCameraRow,
    FleetModelRow,
    FleetRevisionRow,
    FleetSettingRow,
)

__all__ = [
    "ClassNames",
    "FleetRepository",
    "StoredCamera",
    "StoredModel",
    "model_class_names",
    "parse_camera",
    "parse_model",
]

# Class names of a model (id -> name), e.g. read from the ONNX metadata.
ClassNames = Callable[[ModelConfig], Mapping[int, str]]


@dataclass(frozen=True, slots=True)
class StoredCamera:
    camera: CameraConfig
    enabled: bool
    revision: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class StoredModel:
    model_id: str
    model: ModelConfig
    revision: int
    updated_at: datetime


def model_class_names(model: ModelConfig) -> dict[int, str]:
    """The model's classes from its ONNX metadata; :class:`ModelError` with the loader's reason
    when the file is missing or not a YOLOv8 detection export."""
    return dict(inspect_model(resolve_asset(model.path)).names)


def _now() -> datetime:
    return datetime.now(UTC)


def parse_camera(data: Any, origin: str = "camera") -> CameraConfig:
    """Validate a camera mapping; errors name ``origin`` and the field."""
    try:
        return CameraConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(origin, exc)) from exc


def parse_model(data: Any, origin: str = "model") -> ModelConfig:
    try:
        return ModelConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(validation_message(origin, exc)) from exc


class FleetRepository:
    """Cameras, models and fleet settings in ``db`` (migrated to 0002 or later).

    ``class_names`` reads a model's classes so rules naming a class the model does not detect
    are refused; None skips that check (the model files may live elsewhere).
    """

    def __init__(self, db: Database, class_names: ClassNames | None = None) -> None:
        self.db = db
        self._class_names = class_names

    # -- reading -----------------------------------------------------------------------------

    def revision(self) -> int:
        with self._read("read the fleet revision of") as connection:
            value = connection.execute(
                select(FleetRevisionRow.revision).where(FleetRevisionRow.id == 1)
            ).scalar()
        return int(value or 0)

    def list_cameras(self) -> list[StoredCamera]:
        with self._read("list cameras in") as connection:
            rows = connection.execute(
                select(FleetCameraRow).order_by(FleetCameraRow.camera_id)
            ).all()
        return [self._camera(row) for row in rows]

    def get_camera(self, camera_id: str) -> StoredCamera:
        with self._read("read a camera in") as connection:
            row = connection.execute(
                select(FleetCameraRow).where(FleetCameraRow.camera_id == camera_id)
            ).first()
        if row is None:
            raise NotFoundError(f"camera {camera_id!r} does not exist; list cameras to see ids")
        return self._camera(row)

    def enabled_cameras(self) -> list[CameraConfig]:
        """The cameras engines should run."""
        return [stored.camera for stored in self.list_cameras() if stored.enabled]

    def list_models(self) -> list[StoredModel]:
        with self._read("list models in") as connection:
            rows = connection.execute(select(FleetModelRow).order_by(FleetModelRow.model_id)).all()
        return [self._model(row) for row in rows]

    def get_model(self, model_id: str) -> StoredModel:
        with self._read("read a model in") as connection:
            row = connection.execute(
                select(FleetModelRow).where(FleetModelRow.model_id == model_id)
            ).first()
        if row is None:
            raise NotFoundError(f"model {model_id!r} does not exist; list models to see ids")
        return self._model(row)

    def models(self) -> dict[str, ModelConfig]:
        return {stored.model_id: stored.model for stored in self.list_models()}

    def runtime(self) -> RuntimeConfig:
        value = self._setting("runtime")
        return RuntimeConfig.model_validate(value) if value is not None else RuntimeConfig()

    def store_settings(self) -> StoreConfig:
        value = self._setting("store")
        return StoreConfig.model_validate(value) if value is not None else StoreConfig()

    def export_fleet(self) -> FleetConfig:
        """The stored fleet as a :class:`FleetConfig` (every camera, enabled or not)."""
        cameras = [stored.camera for stored in self.list_cameras()]
        if not cameras:
            raise ConfigError(
                "the stored fleet has no cameras to export; add one (POST /api/v1/cameras or "
                "`camfleet fleet import`) first"
            )
        return FleetConfig(
            models=self.models(), cameras=cameras, runtime=self.runtime(),
            store=self.store_settings(),
        )

    # -- changing ----------------------------------------------------------------------------

    def create_camera(self, camera: CameraConfig, enabled: bool = True) -> StoredCamera:
        with self._change("create a camera in") as (connection, revision):
            if self._camera_row(connection, camera.id) is not None:
                raise ConflictError(
                    f"camera {camera.id!r} already exists; update it (PUT) or pick another id"
                )
            self._check_camera(connection, camera)
            now = _now()
            connection.execute(insert(FleetCameraRow).values(
                camera_id=camera.id, config=camera.model_dump(mode="json"), enabled=enabled,
                revision=revision, created_at=now, updated_at=now,
            ))
        return self.get_camera(camera.id)

    def put_camera(self, camera: CameraConfig) -> StoredCamera:
        """Create or replace a camera (its enabled flag is kept when it exists)."""
        with self._change("store a camera in") as (connection, revision):
            self._check_camera(connection, camera)
            self._upsert_camera(connection, camera, revision)
        return self.get_camera(camera.id)

    def update_camera(self, camera: CameraConfig) -> StoredCamera:
        """Replace an existing camera; :class:`NotFoundError` when there is none."""
        with self._change("update a camera in") as (connection, revision):
            if self._camera_row(connection, camera.id) is None:
                raise NotFoundError(f"camera {camera.id!r} does not exist; create it first")
            self._check_camera(connection, camera)
            self._upsert_camera(connection, camera, revision)
        return self.get_camera(camera.id)

    def delete_camera(self, camera_id: str) -> None:
        with self._change("delete a camera in") as (connection, _revision):
            deleted = connection.execute(
                delete(FleetCameraRow).where(FleetCameraRow.camera_id == camera_id)
            ).rowcount
            if not deleted:
                raise NotFoundError(f"camera {camera_id!r} does not exist; nothing deleted")

    def set_camera_enabled(self, camera_id: str, enabled: bool) -> StoredCamera:
        with self._change("enable or disable a camera in") as (connection, revision):
            changed = connection.execute(
                update(FleetCameraRow)
                .where(FleetCameraRow.camera_id == camera_id)
                .values(enabled=enabled, revision=revision, updated_at=_now())
            ).rowcount
            if not changed:
                raise NotFoundError(f"camera {camera_id!r} does not exist; create it first")
        return self.get_camera(camera_id)

    def create_model(self, model_id: str, model: ModelConfig) -> StoredModel:
        _check_model_id(model_id)
        with self._change("create a model in") as (connection, revision):
            if self._model_row(connection, model_id) is not None:
                raise ConflictError(
                    f"model {model_id!r} already exists; update it (PUT) or pick another id"
                )
            self._upsert_model(connection, model_id, model, revision)
        return self.get_model(model_id)

    def put_model(self, model_id: str, model: ModelConfig) -> StoredModel:
        _check_model_id(model_id)
        with self._change("store a model in") as (connection, revision):
            self._upsert_model(connection, model_id, model, revision)
            for stored in self._cameras_using(connection, model_id):
                self._check_classes(connection, stored)
        return self.get_model(model_id)

    def delete_model(self, model_id: str) -> None:
        with self._change("delete a model in") as (connection, _revision):
            users = [camera.id for camera in self._cameras_using(connection, model_id)]
            if users:
                raise ConflictError(
                    f"model {model_id!r} is used by cameras {users}; change or delete them first"
                )
            deleted = connection.execute(
                delete(FleetModelRow).where(FleetModelRow.model_id == model_id)
            ).rowcount
            if not deleted:
                raise NotFoundError(f"model {model_id!r} does not exist; nothing deleted")

    def import_fleet(self, fleet: FleetConfig) -> bool:
        """Store every model, camera and setting of ``fleet``; True when anything changed.

        Idempotent: importing the same fleet again changes nothing and keeps the revision.
        Cameras and models not in ``fleet`` are kept; imported cameras keep their enabled flag.
        """
        with self._change("import a fleet into", bump=False) as (connection, _revision):
            changed = False
            next_revision = self._current_revision(connection) + 1
            for model_id, model in fleet.models.items():
                row = self._model_row(connection, model_id)
                if row is None or row.config != model.model_dump(mode="json"):
                    self._upsert_model(connection, model_id, model, next_revision)
                    changed = True
            for camera in fleet.cameras:
                self._check_camera(connection, camera)
                row = self._camera_row(connection, camera.id)
                if row is None or row.config != camera.model_dump(mode="json"):
                    self._upsert_camera(connection, camera, next_revision)
                    changed = True
            for key, section in (("runtime", fleet.runtime), ("store", fleet.store)):
                value = section.model_dump(mode="json")
                if self._setting_in(connection, key) != value:
                    self._put_setting(connection, key, value)
                    changed = True
            if changed:
                self._bump(connection)
        return changed

    # -- helpers -----------------------------------------------------------------------------

    @contextmanager
    def _read(self, action: str) -> Iterator[Connection]:
        with self.db.translate_errors(action), self.db.engine.connect() as connection:
            yield connection

    @contextmanager
    def _change(self, action: str, bump: bool = True) -> Iterator[tuple[Connection, int]]:
        with self.db.translate_errors(action), self.db.engine.begin() as connection:
            revision = self._bump(connection) if bump else self._current_revision(connection)
            yield connection, revision

    @staticmethod
    def _current_revision(connection: Connection) -> int:
        value = connection.execute(
            select(FleetRevisionRow.revision).where(FleetRevisionRow.id == 1)
        ).scalar()
        return int(value or 0)

    @staticmethod
    def _bump(connection: Connection) -> int:
        # The UPDATE takes the row lock first, so concurrent changes serialize on it.
        connection.execute(
            update(FleetRevisionRow)
            .where(FleetRevisionRow.id == 1)
            .values(revision=FleetRevisionRow.revision + 1)
        )
        value = connection.execute(
            select(FleetRevisionRow.revision).where(FleetRevisionRow.id == 1)
        ).scalar()
        return int(value or 0)

    @staticmethod
    def _camera_row(connection: Connection, camera_id: str) -> Any:
        return connection.execute(
            select(FleetCameraRow).where(FleetCameraRow.camera_id == camera_id)
        ).first()

    @staticmethod
    def _model_row(connection: Connection, model_id: str) -> Any:
        return connection.execute(
            select(FleetModelRow).where(FleetModelRow.model_id == model_id)
        ).first()

    def _models_in(self, connection: Connection) -> dict[str, ModelConfig]:
        rows = connection.execute(select(FleetModelRow.model_id, FleetModelRow.config)).all()
        return {row.model_id: ModelConfig.model_validate(row.config) for row in rows}

    def _cameras_using(self, connection: Connection, model_id: str) -> list[CameraConfig]:
        rows = connection.execute(select(FleetCameraRow.config)).all()
        cameras = [CameraConfig.model_validate(row.config) for row in rows]
        return [camera for camera in cameras if model_id in camera.models]

    def _check_camera(self, connection: Connection, camera: CameraConfig) -> None:
        models = self._models_in(connection)
        unknown = [m for m in camera.models if m not in models]
        if unknown:
            raise ConfigError(
                f"camera {camera.id!r}: models: unknown model {unknown[0]!r}; defined models: "
                f"{sorted(models)}; register the model first (POST /api/v1/models)"
            )
        self._check_classes(connection, camera, models)

    def _check_classes(
        self,
        connection: Connection,
        camera: CameraConfig,
        models: Mapping[str, ModelConfig] | None = None,
    ) -> None:
        if self._class_names is None or not any(rule.classes for rule in camera.rules):
            return
        models = models if models is not None else self._models_in(connection)
        used = {m: models[m] for m in camera.models if m in models}
        fleet = FleetConfig.model_construct(models=used, cameras=[camera])
        check_class_names(fleet, {m: self._class_names(cfg) for m, cfg in used.items()})

    def _upsert_camera(self, connection: Connection, camera: CameraConfig, revision: int) -> None:
        now = _now()
        config = camera.model_dump(mode="json")
        if self._camera_row(connection, camera.id) is None:
            connection.execute(insert(FleetCameraRow).values(
                camera_id=camera.id, config=config, enabled=True, revision=revision,
                created_at=now, updated_at=now,
            ))
        else:
            connection.execute(
                update(FleetCameraRow)
                .where(FleetCameraRow.camera_id == camera.id)
                .values(config=config, revision=revision, updated_at=now)
            )

    def _upsert_model(
        self, connection: Connection, model_id: str, model: ModelConfig, revision: int
    ) -> None:
        config = model.model_dump(mode="json")
        if self._model_row(connection, model_id) is None:
            connection.execute(insert(FleetModelRow).values(
                model_id=model_id, config=config, revision=revision, updated_at=_now()
            ))
        else:
            connection.execute(
                update(FleetModelRow)
                .where(FleetModelRow.model_id == model_id)
                .values(config=config, revision=revision, updated_at=_now())
            )

    def _setting(self, key: str) -> Any:
        with self._read("read fleet settings in") as connection:
            return self._setting_in(connection, key)

    @staticmethod
    def _setting_in(connection: Connection, key: str) -> Any:
        return connection.execute(
            select(FleetSettingRow.value).where(FleetSettingRow.key == key)
        ).scalar()

    @staticmethod
    def _put_setting(connection: Connection, key: str, value: dict[str, Any]) -> None:
        exists = connection.execute(
            select(func.count()).select_from(FleetSettingRow).where(FleetSettingRow.key == key)
        ).scalar()
        if exists:
            connection.execute(
                update(FleetSettingRow).where(FleetSettingRow.key == key).values(value=value)
            )
        else:
            connection.execute(insert(FleetSettingRow).values(key=key, value=value))

    @staticmethod
    def _camera(row: Any) -> StoredCamera:
        return StoredCamera(
            camera=CameraConfig.model_validate(row.config), enabled=bool(row.enabled),
            revision=int(row.revision), created_at=row.created_at, updated_at=row.updated_at,
        )

    @staticmethod
    def _model(row: Any) -> StoredModel:
        return StoredModel(
            model_id=row.model_id, model=ModelConfig.model_validate(row.config),
            revision=int(row.revision), updated_at=row.updated_at,
        )


def _check_model_id(model_id: str) -> None:
    try:
        FleetConfig.model_validate(
            {
                "models": {model_id: {}},
                "cameras": [{"id": "x", "source": "x", "models": [model_id]}],
            }
        )
    except ValidationError as exc:
        raise ConfigError(validation_message("model", exc)) from exc

"""The store's tables, as typed SQLAlchemy 2 declarative models.

Timestamps are timezone-aware UTC on every backend (SQLite keeps them as text, so
:class:`UtcDateTime` attaches the zone on the way out). Count minutes are integers: minutes since
the Unix epoch (``int(wall_time // 60)``), which keeps hour/day roll-ups portable integer maths.
The migration in ``migrations/versions`` creates exactly these tables; a test pins the two
together.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    DateTime,
    Dialect,
    Float,
    Index,
    Integer,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

__all__ = [
    "ApiKeyRow",
    "Base",
    "CameraLeaseRow",
    "CameraRow",
    "CountRow",
    "EventRow",
    "FleetCameraRow",
    "FleetModelRow",
    "FleetRevisionRow",
    "FleetSettingRow",
    "ModelRow",
    "OutboxRow",
    "OutboxState",
    "UtcDateTime",
    "WorkerRow",
    "json_type",
]

OutboxState = Literal["pending", "delivered", "dead"]


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC timestamp on every backend."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; pass a timezone-aware one")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def json_type() -> Any:
    """JSON on SQLite, JSONB on PostgreSQL."""
    return JSON().with_variant(JSONB(), "postgresql")


class Base(DeclarativeBase):
    pass


class CameraRow(Base):
    """A camera as the fleet config last described it."""

    __tablename__ = "cameras"

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(Text)
    analyze_fps: Mapped[float] = mapped_column(Float)
    model_ids: Mapped[list[str]] = mapped_column(json_type())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class ModelRow(Base):
    """A detector as the fleet config last described it."""

    __tablename__ = "models"

    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    path: Mapped[str] = mapped_column(Text)
    provider: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class EventRow(Base):
    """One event, upserted by ``event_id`` when it opens and again when it closes."""

    __tablename__ = "events"
    __table_args__ = (
        Index("ix_events_camera_started", "camera_id", "started_at"),
        Index("ix_events_started", "started_at"),
        Index("ix_events_rule", "rule_id"),
    )

    event_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    camera_id: Mapped[str] = mapped_column(String(64))
    model_id: Mapped[str] = mapped_column(String(64))
    rule_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    class_name: Mapped[str] = mapped_column(String(128))
    region: Mapped[str | None] = mapped_column(String(128))
    track_ids: Mapped[list[int]] = mapped_column(json_type())
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    max_confidence: Mapped[float] = mapped_column(Float)
    attributes: Mapped[dict[str, Any]] = mapped_column(json_type())
    snapshot_path: Mapped[str | None] = mapped_column(Text)


class CountRow(Base):
    """A per-minute count for one camera, region, class and direction."""

    __tablename__ = "counts"
    __table_args__ = (
        UniqueConstraint(
            "camera_id", "minute", "region", "class_name", "direction", name="uq_counts_key"
        ),
        Index("ix_counts_minute", "minute"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    camera_id: Mapped[str] = mapped_column(String(64))
    minute: Mapped[int] = mapped_column(BigInteger)
    region: Mapped[str] = mapped_column(String(128))
    class_name: Mapped[str] = mapped_column(String(128))
    direction: Mapped[str] = mapped_column(String(16))
    count: Mapped[int] = mapped_column(BigInteger)


class OutboxRow(Base):
    """A webhook delivery: one per (event, event state, URL); the state survives restarts."""

    __tablename__ = "webhook_outbox"
    __table_args__ = (
        UniqueConstraint("event_id", "phase", "url", name="uq_outbox_delivery"),
        CheckConstraint("state IN ('pending', 'delivered', 'dead')", name="ck_outbox_state"),
        Index("ix_outbox_due", "state", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    event_id: Mapped[str] = mapped_column(String(128))
    phase: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[str] = mapped_column(String(200))
    url: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(json_type())
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime())
    state: Mapped[str] = mapped_column(String(16), default="pending")
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class FleetCameraRow(Base):
    """A camera of the service's fleet: ``config`` is ``CameraConfig.model_dump(mode="json")``.

    Unlike :class:`CameraRow` (what the running workers last reported), this is the desired
    state the API edits and workers converge to.
    """

    __tablename__ = "fleet_cameras"

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(json_type())
    enabled: Mapped[bool] = mapped_column(Boolean)
    revision: Mapped[int] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FleetModelRow(Base):
    """A model of the service's fleet: ``config`` is ``ModelConfig.model_dump(mode="json")``."""

    __tablename__ = "fleet_models"

    model_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    config: Mapped[dict[str, Any]] = mapped_column(json_type())
    revision: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


class FleetSettingRow(Base):
    """A fleet-wide section (``runtime``, ``store``) kept for export."""

    __tablename__ = "fleet_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[dict[str, Any]] = mapped_column(json_type())


class FleetRevisionRow(Base):
    """A single row (``id`` 1) whose counter every fleet change bumps in its transaction."""

    __tablename__ = "fleet_revision"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    revision: Mapped[int] = mapped_column(BigInteger)


class ApiKeyRow(Base):
    """An API key: only the SHA-256 of the token is kept, and its prefix to find it."""

    __tablename__ = "api_keys"
    __table_args__ = (Index("ix_api_keys_prefix", "prefix"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer(), "sqlite"), primary_key=True, autoincrement=True
    )
    name: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    hash: Mapped[str] = mapped_column(String(64))
    read_only: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class CameraLeaseRow(Base):
    """Which worker runs a camera: held while ``expires_at`` is in the future.

    A worker renews its leases every few seconds; one that dies stops renewing, and once
    ``expires_at`` passes any worker may claim the camera (``generation`` counts the claims).
    """

    __tablename__ = "camera_leases"
    __table_args__ = (Index("ix_camera_leases_holder", "holder"),)

    camera_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(128))
    generation: Mapped[int] = mapped_column(BigInteger, default=0)
    acquired_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime())


class WorkerRow(Base):
    """A live worker: its capacity and heartbeat (for fair shares) and a summary of its stats."""

    __tablename__ = "workers"

    worker_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    host: Mapped[str] = mapped_column(String(255))
    capacity: Mapped[int] = mapped_column(Integer)
    cameras: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime())
    heartbeat_at: Mapped[datetime] = mapped_column(UtcDateTime())
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime())
    stats: Mapped[dict[str, Any]] = mapped_column(json_type())

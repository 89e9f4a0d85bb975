"""Initial store: cameras, models, events, per-minute counts and the webhook outbox.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from camfleet.store.schema import UtcDateTime, json_type

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _big_id() -> sa.types.TypeEngine[int]:
    # SQLite only autoincrements a column declared exactly INTEGER PRIMARY KEY.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cameras",
        sa.Column("camera_id", sa.String(64), primary_key=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("analyze_fps", sa.Float(), nullable=False),
        sa.Column("model_ids", json_type(), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "models",
        sa.Column("model_id", sa.String(64), primary_key=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("updated_at", UtcDateTime(), nullable=False),
    )
    op.create_table(
        "events",
        sa.Column("event_id", sa.String(128), primary_key=True),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("model_id", sa.String(64), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("class_name", sa.String(128), nullable=False),
        sa.Column("region", sa.String(128), nullable=True),
        sa.Column("track_ids", json_type(), nullable=False),
        sa.Column("started_at", UtcDateTime(), nullable=False),
        sa.Column("ended_at", UtcDateTime(), nullable=True),
        sa.Column("max_confidence", sa.Float(), nullable=False),
        sa.Column("attributes", json_type(), nullable=False),
        sa.Column("snapshot_path", sa.Text(), nullable=True),
    )
    op.create_index("ix_events_camera_started", "events", ["camera_id", "started_at"])
    op.create_index("ix_events_started", "events", ["started_at"])
    op.create_index("ix_events_rule", "events", ["rule_id"])
    op.create_table(
        "counts",
        sa.Column("id", _big_id(), primary_key=True, autoincrement=True),
        sa.Column("camera_id", sa.String(64), nullable=False),
        sa.Column("minute", sa.BigInteger(), nullable=False),
        sa.Column("region", sa.String(128), nullable=False),
        sa.Column("class_name", sa.String(128), nullable=False),
        sa.Column("direction", sa.String(16), nullable=False),
        sa.Column("count", sa.BigInteger(), nullable=False),
        sa.UniqueConstraint(
            "camera_id", "minute", "region", "class_name", "direction", name="uq_counts_key"
        ),
    )
    op.create_index("ix_counts_minute", "counts", ["minute"])
    op.create_table(
        "webhook_outbox",
        sa.Column("id", _big_id(), primary_key=True, autoincrement=True),
        sa.Column("event_id", sa.String(128), nullable=False),
        sa.Column("phase", sa.String(16), nullable=False),
        sa.Column("rule_id", sa.String(200), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("payload", json_type(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("max_attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", UtcDateTime(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", UtcDateTime(), nullable=False),
        sa.Column("delivered_at", UtcDateTime(), nullable=True),
        sa.UniqueConstraint("event_id", "phase", "url", name="uq_outbox_delivery"),
        sa.CheckConstraint("state IN ('pending', 'delivered', 'dead')", name="ck_outbox_state"),
    )
    op.create_index("ix_outbox_due", "webhook_outbox", ["state", "next_attempt_at"])


def downgrade() -> None:
    op.drop_table("webhook_outbox")
    op.drop_table("counts")
    op.drop_table("events")
    op.drop_table("models")
    op.drop_table("cameras")

"""the consultation record (topics taxonomy, risk, referrals, follow-up) and two-person escalations

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db.types

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "record_topic",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("label_ja", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=False),
        sa.Column("label_en", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("retired_at", app.db.types.UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key", name="uq_record_topic_key"),
    )
    op.create_table(
        "consultation_record",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("risk", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("referrals", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("help_entry_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("follow_up", sa.Boolean(), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.ForeignKeyConstraint(["mentor_id"], ["mentor.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("consultation_id", name="uq_record_consultation"),
    )
    op.create_table(
        "consultation_record_topic",
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("topic_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["consultation_record.id"]),
        sa.ForeignKeyConstraint(["topic_id"], ["record_topic.id"]),
        sa.PrimaryKeyConstraint("record_id", "topic_id"),
    )
    op.create_table(
        "escalation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=False),
        sa.Column("destination", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("shared", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
        sa.Column("status", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("raised_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("decided_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("decided_by", sa.Integer(), nullable=True),
        sa.Column("decision_note", sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=True),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.ForeignKeyConstraint(["mentor_id"], ["mentor.id"]),
        sa.ForeignKeyConstraint(["decided_by"], ["staff.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.create_index("ix_escalation_consultation", ["consultation_id"], unique=False)
        batch_op.create_index("ix_escalation_status", ["status", "raised_at"], unique=False)
        batch_op.create_index("ix_escalation_raised", ["raised_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("escalation", schema=None) as batch_op:
        batch_op.drop_index("ix_escalation_raised")
        batch_op.drop_index("ix_escalation_status")
        batch_op.drop_index("ix_escalation_consultation")
    op.drop_table("escalation")
    op.drop_table("consultation_record_topic")
    op.drop_table("consultation_record")
    op.drop_table("record_topic")

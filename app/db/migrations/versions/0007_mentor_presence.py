"""mentor presence, absence alerts and reassignment

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultation") as batch:
        batch.add_column(sa.Column("mentor_joined_at", app.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("mentor_absent_at", app.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("mentor_assigned_at", app.db.types.UTCDateTime(), nullable=True))
    # Consultations from before this revision: the mentor came if they joined (audited).
    op.execute(
        "UPDATE consultation SET mentor_joined_at = (SELECT MIN(a.at) FROM audit_log a "
        "WHERE a.action = 'mentor_join' AND a.consultation_id = consultation.id)"
    )
    with op.batch_alter_table("crisis_alert") as batch:
        batch.add_column(
            sa.Column("kind", sa.String(length=16), nullable=False, server_default="crisis")
        )
        batch.add_column(sa.Column("mentor_id", sa.Integer(), nullable=True))
    op.create_table(
        "handover",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "consultation_id", sa.Integer(), sa.ForeignKey("consultation.id"), nullable=False
        ),
        sa.Column("at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("from_mentor_id", sa.Integer(), nullable=False),
        sa.Column("to_mentor_id", sa.Integer(), nullable=False),
        sa.Column("from_joined", sa.Boolean(), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("actor_role", sa.String(length=12), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_handover_consultation", "handover", ["consultation_id"])
    op.create_index("ix_handover_at", "handover", ["at"])


def downgrade() -> None:
    op.drop_index("ix_handover_at", table_name="handover")
    op.drop_index("ix_handover_consultation", table_name="handover")
    op.drop_table("handover")
    with op.batch_alter_table("crisis_alert") as batch:
        batch.drop_column("mentor_id")
        batch.drop_column("kind")
    with op.batch_alter_table("consultation") as batch:
        batch.drop_column("mentor_assigned_at")
        batch.drop_column("mentor_absent_at")
        batch.drop_column("mentor_joined_at")

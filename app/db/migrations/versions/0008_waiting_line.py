"""the waiting line

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db.types

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "state IN ('waiting', 'offered')"


def upgrade() -> None:
    op.create_table(
        "queue_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("mentor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("joined_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("first_message", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=True),
        sa.Column("message_seq", sa.Integer(), nullable=True),
        sa.Column("consultation_id", sa.Integer(), nullable=True),
        sa.Column("offered_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("ended_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("shown_position", sa.Integer(), nullable=True),
        sa.Column("shown_wait", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["mentor_id"], ["mentor.id"]),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("queue_entry", schema=None) as batch_op:
        batch_op.create_index(
            "uq_queue_one_active_per_client",
            ["client_id"],
            unique=True,
            sqlite_where=sa.text(ACTIVE),
            postgresql_where=sa.text(ACTIVE),
        )
        batch_op.create_index("ix_queue_state_joined", ["state", "joined_at", "id"], unique=False)
        batch_op.create_index("ix_queue_joined", ["joined_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("queue_entry", schema=None) as batch_op:
        batch_op.drop_index("ix_queue_joined")
        batch_op.drop_index("ix_queue_state_joined")
        batch_op.drop_index("uq_queue_one_active_per_client")
    op.drop_table("queue_entry")

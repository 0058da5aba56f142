"""the LINE channel (LINE users, webhook event ids, the consultation's channel)

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db.types

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultation") as batch:
        batch.add_column(
            sa.Column(
                "channel",
                sqlmodel.sql.sqltypes.AutoString(length=8),
                nullable=False,
                server_default="web",
            )
        )
    op.create_table(
        "line_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("line_user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=True),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("pending_nickname", sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
        sa.Column("reply_token", sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
        sa.Column("reply_token_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("unfollowed_at", app.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["client_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("line_user_id", name="uq_line_user_id"),
    )
    op.create_index("ix_line_user_client", "line_user", ["client_id"], unique=False)
    op.create_table(
        "line_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("webhook_event_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("received_at", app.db.types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("webhook_event_id", name="uq_line_event_id"),
    )
    op.create_index("ix_line_event_received", "line_event", ["received_at"], unique=False)
    op.create_table(
        "line_undelivered",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("message_seq", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultation.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_line_undelivered_consultation", "line_undelivered", ["consultation_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_line_undelivered_consultation", table_name="line_undelivered")
    op.drop_table("line_undelivered")
    op.drop_index("ix_line_event_received", table_name="line_event")
    op.drop_table("line_event")
    op.drop_index("ix_line_user_client", table_name="line_user")
    op.drop_table("line_user")
    with op.batch_alter_table("consultation") as batch:
        batch.drop_column("channel")

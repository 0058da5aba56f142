"""safety privacy statistics

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 11:48:11.420390
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db.types

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:

    op.create_table(
        "refusal_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("action", sqlmodel.sql.sqltypes.AutoString(length=12), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("audience", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("refusal_event", schema=None) as batch_op:
        batch_op.create_index("ix_refusal_at", ["at"], unique=False)

    op.create_table(
        "crisis_alert",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("category", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=False),
        sa.Column("message_seq", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("acknowledged_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("acknowledged_by", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["consultation_id"],
            ["consultation.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("crisis_alert", schema=None) as batch_op:
        batch_op.create_index(
            "uq_crisis_alert_open",
            ["consultation_id", "category"],
            unique=True,
            sqlite_where=sa.text("acknowledged_at IS NULL"),
            postgresql_where=sa.text("acknowledged_at IS NULL"),
        )

    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.add_column(sa.Column("deleted_at", app.db.types.UTCDateTime(), nullable=True))

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("at_risk", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("message_count", sa.Integer(), nullable=True))

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("card_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:

    with op.batch_alter_table("message", schema=None) as batch_op:
        batch_op.drop_column("card_id")

    with op.batch_alter_table("consultation", schema=None) as batch_op:
        batch_op.drop_column("message_count")
        batch_op.drop_column("at_risk")

    with op.batch_alter_table("client", schema=None) as batch_op:
        batch_op.drop_column("deleted_at")

    with op.batch_alter_table("crisis_alert", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_crisis_alert_open",
            sqlite_where=sa.text("acknowledged_at IS NULL"),
            postgresql_where=sa.text("acknowledged_at IS NULL"),
        )

    op.drop_table("crisis_alert")
    with op.batch_alter_table("refusal_event", schema=None) as batch_op:
        batch_op.drop_index("ix_refusal_at")

    op.drop_table("refusal_event")

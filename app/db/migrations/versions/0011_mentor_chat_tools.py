"""handover requests from the chat (asked of the client) and headquarters' canned replies

Default replies are seeded by app/demo.py (and can be added in /admin/).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "handover_request",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "consultation_id", sa.Integer(), sa.ForeignKey("consultation.id"), nullable=False
        ),
        sa.Column("client_id", sa.Integer(), sa.ForeignKey("client.id"), nullable=False),
        sa.Column("from_mentor_id", sa.Integer(), sa.ForeignKey("mentor.id"), nullable=False),
        sa.Column("to_mentor_id", sa.Integer(), sa.ForeignKey("mentor.id"), nullable=False),
        sa.Column("mode", sa.String(length=8), nullable=False),
        sa.Column("starts_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("note", sa.String(length=1000), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("answered_at", app.db.types.UTCDateTime(), nullable=True),
        sa.Column("booking_id", sa.Integer(), sa.ForeignKey("consultation.id"), nullable=True),
        sa.Column("staff_id", sa.Integer(), nullable=False),
    )
    op.create_index("ix_handover_request_consultation", "handover_request", ["consultation_id"])
    op.create_index(
        "uq_handover_request_one_pending",
        "handover_request",
        ["consultation_id"],
        unique=True,
        sqlite_where=sa.text("state = 'pending'"),
        postgresql_where=sa.text("state = 'pending'"),
    )
    op.create_table(
        "canned_reply",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("audience", sa.String(length=8), nullable=False),
        sa.Column("language", sa.String(length=2), nullable=False),
        sa.Column("category", sa.String(length=12), nullable=False),
        sa.Column("title", sa.String(length=60), nullable=False),
        sa.Column("text", sa.String(length=1000), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", app.db.types.UTCDateTime(), nullable=False),
    )
    op.create_index("ix_canned_reply_language", "canned_reply", ["language", "audience"])


def downgrade() -> None:
    op.drop_index("ix_canned_reply_language", table_name="canned_reply")
    op.drop_table("canned_reply")
    op.drop_index("uq_handover_request_one_pending", table_name="handover_request")
    op.drop_index("ix_handover_request_consultation", table_name="handover_request")
    op.drop_table("handover_request")

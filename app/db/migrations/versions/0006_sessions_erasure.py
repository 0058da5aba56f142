"""sessions per face, secret re-entry, erasure

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 22:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import app.db.types

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("auth_session") as batch:
        batch.add_column(sa.Column("last_seen_at", app.db.types.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reverified_at", app.db.types.UTCDateTime(), nullable=True))
    # Retention deletes expired sessions by this column.
    op.create_index("ix_auth_session_expires_at", "auth_session", ["expires_at"])


def downgrade() -> None:
    op.drop_index("ix_auth_session_expires_at", table_name="auth_session")
    with op.batch_alter_table("auth_session") as batch:
        batch.drop_column("reverified_at")
        batch.drop_column("last_seen_at")

"""LINE webhook events stored before they are acknowledged (state, user, raw payload)

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 05:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("line_event") as batch:
        batch.add_column(
            sa.Column("state", sa.String(length=8), nullable=False, server_default="applied")
        )
        batch.add_column(
            sa.Column("line_user_id", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )
        batch.add_column(sa.Column("payload", sa.Text(), nullable=True))
    op.create_index("ix_line_event_state", "line_event", ["state", "id"], unique=False)


def downgrade() -> None:
    # Events still pending would be lost with their payload: apply them before downgrading.
    op.drop_index("ix_line_event_state", table_name="line_event")
    with op.batch_alter_table("line_event") as batch:
        batch.drop_column("payload")
        batch.drop_column("line_user_id")
        batch.drop_column("state")

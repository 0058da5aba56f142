"""read marks on a consultation (how far each side has read) and the languages a mentor speaks

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("consultation") as batch:
        batch.add_column(
            sa.Column("client_read_seq", sa.Integer(), nullable=False, server_default="0")
        )
        batch.add_column(
            sa.Column("mentor_read_seq", sa.Integer(), nullable=False, server_default="0")
        )
    with op.batch_alter_table("mentor") as batch:
        batch.add_column(
            sa.Column("languages", sa.String(length=40), nullable=False, server_default="ja")
        )


def downgrade() -> None:
    with op.batch_alter_table("mentor") as batch:
        batch.drop_column("languages")
    with op.batch_alter_table("consultation") as batch:
        batch.drop_column("mentor_read_seq")
        batch.drop_column("client_read_seq")

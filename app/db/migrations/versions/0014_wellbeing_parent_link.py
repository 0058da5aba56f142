"""mentor well-being limits and cool-down, and the parent-child link

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 02:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import app.db.types

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("mentor") as batch:
        batch.add_column(sa.Column("max_per_day", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("max_per_shift", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("resting_until", app.db.types.UTCDateTime(), nullable=True))
        batch.add_column(
            sa.Column("resting_reason", sqlmodel.sql.sqltypes.AutoString(length=24), nullable=True)
        )
    with op.batch_alter_table("consultation") as batch:
        batch.add_column(sa.Column("booked_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_consultation_booked_by", "client", ["booked_by_id"], ["id"])
    op.create_table(
        "link_code",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("expires_at", app.db.types.UTCDateTime(), nullable=False),
        sa.Column("used_at", app.db.types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["child_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash", name="uq_link_code_hash"),
    )
    op.create_index("ix_link_code_child", "link_code", ["child_id"], unique=False)
    op.create_table(
        "client_link",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=False),
        sa.Column("created_at", app.db.types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["child_id"], ["client.id"]),
        sa.ForeignKeyConstraint(["parent_id"], ["client.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("child_id", "parent_id", name="uq_client_link"),
    )
    op.create_index("ix_client_link_parent", "client_link", ["parent_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_client_link_parent", table_name="client_link")
    op.drop_table("client_link")
    op.drop_index("ix_link_code_child", table_name="link_code")
    op.drop_table("link_code")
    with op.batch_alter_table("consultation") as batch:
        batch.drop_constraint("fk_consultation_booked_by", type_="foreignkey")
        batch.drop_column("booked_by_id")
    with op.batch_alter_table("mentor") as batch:
        batch.drop_column("resting_reason")
        batch.drop_column("resting_until")
        batch.drop_column("max_per_shift")
        batch.drop_column("max_per_day")

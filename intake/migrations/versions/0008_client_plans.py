"""client_plans: each client's plan from a day on, so a month is billed at the plan the
client had in it, not at one changed since

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "client_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("plan", sa.String(length=64), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["client_id"], ["clients.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("client_plans", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_client_plans_client_id"), ["client_id"], unique=False)
    # Every existing client has had its present plan from the start.
    op.execute(
        "INSERT INTO client_plans (client_id, plan, effective_from, created_at) "
        f"SELECT id, plan, '{date.min.isoformat()}', created_at FROM clients"
    )


def downgrade() -> None:
    with op.batch_alter_table("client_plans", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_client_plans_client_id"))
    op.drop_table("client_plans")

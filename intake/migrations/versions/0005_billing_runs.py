"""billing: the month each statement line's hours were worked and the included hours it
used, and the months whose statements are all made

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.add_column(sa.Column("work_month", sa.String(length=7), nullable=True))
        batch_op.add_column(
            sa.Column("pool_hours", sa.Numeric(8, 2), nullable=False, server_default="0")
        )
    op.create_table(
        "billing_runs",
        sa.Column("period", sa.String(length=7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", name=op.f("pk_billing_runs")),
    )


def downgrade() -> None:
    op.drop_table("billing_runs")
    with op.batch_alter_table("statement_lines", schema=None) as batch_op:
        batch_op.drop_column("pool_hours")
        batch_op.drop_column("work_month")

"""statements: the Message-ID of the email that last carried each one, so a run can say
where a statement went and a refusal can name its client and month

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.add_column(sa.Column("message_id", sa.String(length=998), nullable=True))
        batch_op.create_index(batch_op.f("ix_statements_message_id"), ["message_id"])


def downgrade() -> None:
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_statements_message_id"))
        batch_op.drop_column("message_id")

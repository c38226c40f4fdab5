"""outbox: the address of an automatic reply (rate limit), the message it answers, and
when to try again after a deferral

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.add_column(sa.Column("recipient_key", sa.String(length=320), nullable=True))
        batch_op.add_column(sa.Column("inbound_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_outbound_messages_inbound_id_inbound_messages"),
            "inbound_messages",
            ["inbound_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_index(
            "ix_outbound_messages_recipient_key_created_at",
            ["recipient_key", "created_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("outbound_messages", schema=None) as batch_op:
        batch_op.drop_index("ix_outbound_messages_recipient_key_created_at")
        batch_op.drop_constraint(
            batch_op.f("fk_outbound_messages_inbound_id_inbound_messages"), type_="foreignkey"
        )
        batch_op.drop_column("next_attempt_at")
        batch_op.drop_column("inbound_id")
        batch_op.drop_column("recipient_key")

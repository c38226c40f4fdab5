"""history: mail that was in a folder before intake first read it is filed as history (no
reply, no clock); the cursor remembers where that mail ended, so a poller killed half-way
through its first reading goes on judging the same messages the same way

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "inbound_messages",
        sa.Column("history", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "mailbox_cursors",
        sa.Column("history_until", sa.BigInteger(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("mailbox_cursors", "history_until")
    op.drop_column("inbound_messages", "history")

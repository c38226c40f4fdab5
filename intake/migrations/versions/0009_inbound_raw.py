"""inbound_raw: an inbound message's bytes in a table of their own, never updated, so that
filing, which updates inbound_messages, does not read and write the bytes again (SQLite
writes a row whole)

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "inbound_raw",
        sa.Column("inbound_id", sa.Integer(), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["inbound_id"], ["inbound_messages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("inbound_id"),
    )
    op.execute("INSERT INTO inbound_raw (inbound_id, raw) SELECT id, raw FROM inbound_messages")
    # ALTER TABLE .. DROP COLUMN, on SQLite too (3.35 and later), never a batch copy: that
    # drops and rebuilds inbound_messages, and dropping it would run the ON DELETE of every
    # table that points to it (attachments, inbound_raw) with foreign keys on.
    op.drop_column("inbound_messages", "raw")


def downgrade() -> None:
    op.add_column("inbound_messages", sa.Column("raw", sa.LargeBinary(), nullable=True))
    op.execute(
        "UPDATE inbound_messages SET raw = "
        "(SELECT raw FROM inbound_raw WHERE inbound_raw.inbound_id = inbound_messages.id)"
    )
    if op.get_bind().dialect.name == "postgresql":  # SQLite: only by a batch copy, see above
        op.alter_column("inbound_messages", "raw", existing_type=sa.LargeBinary(), nullable=False)
    op.drop_table("inbound_raw")

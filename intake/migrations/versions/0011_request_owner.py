"""requests.owner: the staff member who owns a request (#assign, intake requests assign);
quotes.inbound_id: the message whose filing made a quote, so a request reads as one
conversation (each email followed by what it caused)

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("requests", sa.Column("owner", sa.String(320), nullable=True))
    op.create_index("ix_requests_owner", "requests", ["owner"])
    # A copy of quotes on SQLite, which adds no constraint to a table that exists (no
    # table refers to quotes, so the copy sets off no ON DELETE); ALTERs elsewhere.
    with op.batch_alter_table("quotes") as batch:
        batch.add_column(sa.Column("inbound_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_quotes_inbound_id_inbound_messages",
            "inbound_messages",
            ["inbound_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade() -> None:
    with op.batch_alter_table("quotes") as batch:
        batch.drop_constraint("fk_quotes_inbound_id_inbound_messages", type_="foreignkey")
        batch.drop_column("inbound_id")
    op.drop_index("ix_requests_owner", table_name="requests")
    op.drop_column("requests", "owner")

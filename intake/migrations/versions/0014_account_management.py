"""Account management: the months the plan advice went out after (advice_runs), and the
advice and introductions each client got (advice_sent, one per client, kind and quarter)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "advice_runs",
        sa.Column("period", sa.String(7), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("period", name="pk_advice_runs"),
    )
    op.create_table(
        "advice_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(10), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_advice_sent_client_id_clients"
        ),
        sa.ForeignKeyConstraint(
            ["outbound_id"],
            ["outbound_messages.id"],
            name="fk_advice_sent_outbound_id_outbound_messages",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_advice_sent"),
        sa.UniqueConstraint("client_id", "kind", "key", name="uq_advice_sent_client_kind_key"),
    )
    op.create_index("ix_advice_sent_client_id", "advice_sent", ["client_id"])


def downgrade() -> None:
    op.drop_index("ix_advice_sent_client_id", table_name="advice_sent")
    op.drop_table("advice_sent")
    op.drop_table("advice_runs")

"""Check-ins: those held with each client (checkins) and the reminders staff got of each
one due (checkin_reminders, one per client and due date)

Revision ID: 0015
Revises: 0014
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "checkins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.Column("recorded_by", sa.String(320), nullable=False),
        sa.Column("inbound_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_checkins_client_id_clients"
        ),
        sa.ForeignKeyConstraint(
            ["inbound_id"],
            ["inbound_messages.id"],
            name="fk_checkins_inbound_id_inbound_messages",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkins"),
    )
    op.create_index("ix_checkins_client_id", "checkins", ["client_id"])
    op.create_table(
        "checkin_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("outbound_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_checkin_reminders_client_id_clients"
        ),
        sa.ForeignKeyConstraint(
            ["outbound_id"],
            ["outbound_messages.id"],
            name="fk_checkin_reminders_outbound_id_outbound_messages",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_checkin_reminders"),
        sa.UniqueConstraint("client_id", "due_on", name="uq_checkin_reminders_client_id"),
    )


def downgrade() -> None:
    op.drop_table("checkin_reminders")
    op.drop_index("ix_checkins_client_id", table_name="checkins")
    op.drop_table("checkins")

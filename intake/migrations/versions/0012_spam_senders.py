"""spam_senders: addresses staff marked as spam (#spam), whose later mail is held without a
notice to staff

Revision ID: 0012
Revises: 0011
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "spam_senders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("flagged_by", sa.String(320), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=True),
        sa.Column("flagged_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_id"],
            ["requests.id"],
            name="fk_spam_senders_request_id_requests",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_spam_senders"),
        sa.UniqueConstraint("email", name="uq_spam_senders_email"),
    )


def downgrade() -> None:
    op.drop_table("spam_senders")

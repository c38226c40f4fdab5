"""OAuth2 mailboxes: mailbox_logins keeps an account's encrypted refresh token (when the
database is its store) and since when the provider refuses it

Revision ID: 0017
Revises: 0016
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mailbox_logins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account", sa.String(400), nullable=False),
        sa.Column("refresh_token", sa.LargeBinary(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refused_since", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_mailbox_logins"),
        sa.UniqueConstraint("account", name="uq_mailbox_logins_account"),
    )


def downgrade() -> None:
    op.drop_table("mailbox_logins")

"""requests.owner: the staff member who owns a request (#assign, intake requests assign)

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


def downgrade() -> None:
    op.drop_index("ix_requests_owner", table_name="requests")
    op.drop_column("requests", "owner")

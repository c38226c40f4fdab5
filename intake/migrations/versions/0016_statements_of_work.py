"""Statements of work: a client may want each quote also as a numbered statement of work
(clients.statement_of_work); a quote keeps the number its statement of work was given
(quotes.sow_number), taken from the counter "sow"

Revision ID: 0016
Revises: 0015
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Columns only, and a unique index rather than a constraint: on SQLite a constraint
    # would copy the table.
    op.add_column(
        "clients",
        sa.Column("statement_of_work", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column("quotes", sa.Column("sow_number", sa.String(40), nullable=True))
    op.create_index("uq_quotes_sow_number", "quotes", ["sow_number"], unique=True)
    op.execute("INSERT INTO counters (name, value) VALUES ('sow', 0)")


def downgrade() -> None:
    op.execute("DELETE FROM counters WHERE name = 'sow'")
    op.drop_index("uq_quotes_sow_number", table_name="quotes")
    op.drop_column("quotes", "sow_number")
    op.drop_column("clients", "statement_of_work")

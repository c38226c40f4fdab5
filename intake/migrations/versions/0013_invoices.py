"""Statements are invoices: a gap-free number (invoice_numbers holds the last one given),
an issue and a due date, the currency, and the tax (rate, amount, or the EU reverse
charge); clients' billing address, tax ID, tax rate or reverse charge, and language

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "invoice_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_invoice_numbers"),
    )
    op.execute("INSERT INTO invoice_numbers (id, last) VALUES (1, 0)")
    # Columns only, and a unique index rather than a constraint: on SQLite a constraint
    # would copy the table, and dropping the old one would cascade to its lines.
    op.add_column("statements", sa.Column("number", sa.String(40), nullable=True))
    op.add_column("statements", sa.Column("issued_on", sa.Date(), nullable=True))
    op.add_column("statements", sa.Column("due_on", sa.Date(), nullable=True))
    op.add_column("statements", sa.Column("currency", sa.String(3), nullable=True))
    op.add_column("statements", sa.Column("tax_rate", sa.Numeric(5, 2), nullable=True))
    op.add_column(
        "statements",
        sa.Column("tax", sa.Numeric(12, 2), nullable=False, server_default="0"),
    )
    op.add_column(
        "statements",
        sa.Column("reverse_charge", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.create_index("uq_statements_number", "statements", ["number"], unique=True)
    op.add_column("clients", sa.Column("billing_address", sa.Text(), nullable=True))
    op.add_column("clients", sa.Column("tax_id", sa.String(64), nullable=True))
    op.add_column("clients", sa.Column("tax_rate", sa.Numeric(5, 2), nullable=True))
    op.add_column(
        "clients",
        sa.Column("reverse_charge", sa.Boolean(), nullable=False, server_default=sa.false()),
    )
    op.add_column(
        "clients", sa.Column("language", sa.String(8), nullable=False, server_default="en")
    )


def downgrade() -> None:
    for column in ("language", "reverse_charge", "tax_rate", "tax_id", "billing_address"):
        op.drop_column("clients", column)
    op.drop_index("uq_statements_number", table_name="statements")
    for column in (
        "reverse_charge",
        "tax",
        "tax_rate",
        "currency",
        "due_on",
        "issued_on",
        "number",
    ):
        op.drop_column("statements", column)
    op.drop_table("invoice_numbers")

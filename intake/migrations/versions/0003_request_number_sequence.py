"""request numbers from a PostgreSQL sequence, so concurrent workers never wait on a counter row

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return  # SQLite serialises writers anyway: the counter row stays
    start = bind.execute(sa.text("SELECT value FROM counters WHERE name = 'request'")).scalar()
    op.execute(f"CREATE SEQUENCE request_numbers START WITH {int(start or 1000) + 1}")


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name != "postgresql":
        return
    last = bind.execute(sa.text("SELECT last_value FROM request_numbers")).scalar()
    op.execute(sa.text("UPDATE counters SET value = :v WHERE name = 'request'").bindparams(v=last))
    op.execute("DROP SEQUENCE request_numbers")

"""Alembic environment: runs on the connection intake hands over (see intake.db.upgrade)."""

from __future__ import annotations

from alembic import context

import intake.models  # noqa: F401
from intake.db import Base, make_engine

config = context.config
connection = config.attributes.get("connection")


def _run(conn: object) -> None:
    context.configure(
        connection=conn,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise SystemExit("set sqlalchemy.url (alembic -x) or use `intake db upgrade`")
    with make_engine(url).begin() as conn:
        _run(conn)

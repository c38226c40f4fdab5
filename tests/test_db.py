"""The schema: migrations build exactly what the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from intake.db import Base, current_revision, upgrade
from intake.models import Client


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []
    assert Client.__tablename__ == "clients"


def test_upgrading_twice_changes_nothing(engine):
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before == "0007"

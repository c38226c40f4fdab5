"""The schema: migrations build exactly what the models describe, on both databases."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from intake.db import Base, current_revision, make_engine, session_factory, upgrade
from intake.models import Client


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []
    assert Client.__tablename__ == "clients"


def test_upgrading_twice_changes_nothing(engine):
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before == "0008"


def test_clients_from_before_plan_history_keep_their_plan_from_the_start(tmp_path):
    # Given a database of the release before plan history, with a client on Basic
    engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    upgrade(engine, "0007")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO clients (slug, name, plan, timezone, requires_po, "
                "billing_emails, created_at) VALUES ('acme', 'Acme', 'basic', 'UTC', false, "
                "'[]', '2026-01-05 10:00:00')"
            )
        )
    # When it is upgraded
    upgrade(engine)
    # Then the client has had Basic from the start, for every month billed from now on
    with session_factory(engine)() as session:
        acme = session.scalar(sa.select(Client))
        assert [(p.plan, p.effective_from) for p in acme.plans] == [("basic", date.min)]
        assert acme.plan_on(date(2020, 1, 1)) == acme.plan_on(date(2030, 1, 1)) == "basic"
    engine.dispose()

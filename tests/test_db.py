"""The schema: migrations build exactly what the models describe, on both databases."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from intake.db import Base, current_revision, downgrade, make_engine, session_factory, upgrade
from intake.mail.models import InboundMessage
from intake.models import Client
from tests.conftest import PG_DATABASE, PG_SERVER


def test_migrations_match_the_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        assert compare_metadata(context, Base.metadata) == []
    assert Client.__tablename__ == "clients"


def test_upgrading_twice_changes_nothing(engine):
    before = current_revision(engine)
    upgrade(engine)
    assert current_revision(engine) == before == "0017"


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


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A database with no schema at all, on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'old.db'}"
        return
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    name = f"{PG_DATABASE}_old"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    yield f"{PG_SERVER}/{name}"
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
    admin.dispose()


def test_messages_stored_before_their_bytes_moved_keep_their_bytes(empty_url):
    # Given a database of the release that kept a message's bytes in its row
    engine = make_engine(empty_url)
    upgrade(engine, "0008")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                "INSERT INTO inbound_messages (message_key, mailbox, raw, size, stored_at, "
                "filing, attempts) VALUES ('k1', 'INBOX', :raw, 9, '2026-11-05 10:00:00', "
                "'pending', 0)"
            ),
            {"raw": b"Subject: x\r\n\r\nhi\xff"},
        )
    # When it is upgraded
    upgrade(engine)
    # Then the message reads the same bytes from their own table
    with session_factory(engine)() as session:
        stored = session.scalar(sa.select(InboundMessage))
        assert stored.raw == b"Subject: x\r\n\r\nhi\xff"
    # And going back a release puts them back in the row
    downgrade(engine, "0008")
    with engine.connect() as conn:
        back = conn.scalar(sa.text("SELECT raw FROM inbound_messages"))
        assert back == b"Subject: x\r\n\r\nhi\xff"
    engine.dispose()

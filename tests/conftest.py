"""Fixtures that mirror the architecture: settings, a database of each kind, servers."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from intake.db import Base, make_engine, session_factory, upgrade
from intake.settings import Settings, load_settings
from tests import drawn  # noqa: F401  (under mutation testing: its Hypothesis profile)

pytest_plugins = ["tests.servers.fixtures"]

FIXTURES = Path(__file__).parent / "fixtures"
MAIL = FIXTURES / "mail"
PG_SERVER = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432")
# One database per test run, so two runs on one machine never share rows.
PG_DATABASE = f"intake_test_{os.getpid()}"
# Its own Redis database for each of pytest-xdist's workers (gw0 15, gw1 14, ...): each
# worker empties its database before and after a test.
_WORKER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0")[2:] or 0)
REDIS_URL = os.environ.get("TEST_REDIS_URL", f"redis://127.0.0.1:6379/{15 - _WORKER % 15}")

STAFF = [{"email": "dana@agency.example", "name": "Dana", "lead": True}]


def pytest_collection_finish(session: pytest.Session) -> None:
    """What is imported and collected by now lives to the end of the run: the collector
    stops walking it (gc.freeze), and the run's full collections are shorter."""
    gc.collect()
    gc.freeze()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Collect the run's garbage here, then freeze what is left. After this hook pytest
    collects garbage five times over to find unraisable exceptions; on a busy two-core
    machine walking some 400,000 live objects five times took a pytest-xdist worker past
    the 5 s that execnet allows a worker to finish once the run is over, and execnet then
    sent it SIGINT. Here, before the worker reports that it has finished, nothing waits on
    it; what these collections free still reaches pytest's unraisable-exception hook."""
    gc.collect()
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, migrated to head, dropped after."""
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {PG_DATABASE}"))
    url = f"{PG_SERVER}/{PG_DATABASE}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)"))
    admin.dispose()


def _empty_postgres(engine: Engine) -> None:
    tables = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(sa.text("INSERT INTO counters (name, value) VALUES ('request', 1000)"))
        conn.execute(sa.text("ALTER SEQUENCE request_numbers RESTART WITH 1001"))


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of an empty, migrated database: each test runs on SQLite and PostgreSQL."""
    if request.param == "sqlite":
        return _migrated_sqlite(tmp_path)
    return str(request.getfixturevalue("pg_url"))


def _migrated_sqlite(folder: Path) -> str:
    url = f"sqlite:///{folder / 'intake.db'}"
    engine = make_engine(url)
    upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return _migrated_sqlite(tmp_path)


@pytest.fixture
def pg_url(postgres_url: str) -> str:
    engine = make_engine(postgres_url)
    _empty_postgres(engine)
    engine.dispose()
    return postgres_url


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def factory(engine: Engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def session(factory: sessionmaker[Session]) -> Iterator[Session]:
    with factory() as session, session.begin():
        yield session


@pytest.fixture
def make_settings() -> Callable[..., Settings]:
    """Settings for tests: no file, the given overrides, staff Dana. New requests are
    quoted without review unless a test asks for it (quotes={"review": "uncertain"}): the
    quoting tests are about the quote, not about how sure the classifier is."""

    def make(**overrides: Any) -> Settings:
        overrides.setdefault("staff", STAFF)
        overrides["quotes"] = {"review": "never", **overrides.get("quotes", {})}
        return load_settings(None, **overrides)

    return make


@pytest.fixture
def settings(make_settings: Callable[..., Settings], db_url: str) -> Settings:
    return make_settings(database_url=db_url)


def mail_fixture(name: str) -> bytes:
    return (MAIL / name).read_bytes()


@pytest.fixture
def redis_queue():
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # fails, never skips, when Redis is not there
    client.flushdb()
    yield REDIS_URL
    client.flushdb()

"""One poller per mailbox: a lock the operating system or the database releases when its
holder dies, so a killed poller never blocks its successor."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from intake.errors import MailboxBusy

log = logging.getLogger(__name__)


def _key(mailbox: str) -> int:
    return int.from_bytes(hashlib.sha256(mailbox.encode()).digest()[:8], "big", signed=True)


@contextlib.contextmanager
def mailbox_lock(
    engine: Engine, mailbox: str, stop: threading.Event | None = None, wait: bool = True
) -> Iterator[None]:
    """Hold the poller lock of ``mailbox``; wait for it (logging once) while another has it.

    PostgreSQL: a session advisory lock. SQLite: an flock on a file beside the database.
    """
    stop = stop or threading.Event()
    if engine.dialect.name == "postgresql":
        with _advisory(engine, mailbox, stop, wait):
            yield
    else:
        with _flock(engine, mailbox, stop, wait):
            yield


@contextlib.contextmanager
def _advisory(engine: Engine, mailbox: str, stop: threading.Event, wait: bool) -> Iterator[None]:
    key = _key(mailbox)
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="AUTOCOMMIT")
        told = False
        while not conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar():
            if not wait:
                raise MailboxBusy(f"another poller is reading {mailbox}")
            if not told:
                log.warning("another poller is reading %s; waiting for it to stop", mailbox)
                told = True
            if stop.wait(1.0):
                raise MailboxBusy(f"stopped while waiting for the lock on {mailbox}")
        try:
            yield
        finally:
            conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})


@contextlib.contextmanager
def _flock(engine: Engine, mailbox: str, stop: threading.Event, wait: bool) -> Iterator[None]:
    database = engine.url.database or ""
    folder = Path(database).resolve().parent if database and database != ":memory:" else None
    if folder is None:
        yield  # a private in-memory database has no other poller
        return
    path = folder / f".intake-poller-{_key(mailbox) & 0xFFFFFFFF:08x}.lock"
    with path.open("a+") as handle:
        told = False
        while True:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if not wait:
                    raise MailboxBusy(f"another poller is reading {mailbox}") from None
                if not told:
                    log.warning("another poller is reading %s; waiting for it to stop", mailbox)
                    told = True
                if stop.wait(1.0):
                    raise MailboxBusy(f"stopped while waiting for the lock on {mailbox}") from None
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

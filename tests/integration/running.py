"""intake running in a thread of the test, as `intake run` runs it, and waiting for what it
does."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import sqlalchemy as sa

from intake.db import transaction
from intake.mail.models import MailboxCursor
from intake.settings import Settings
from workers import runner


@contextmanager
def intake_running(settings: Settings) -> Iterator[threading.Thread]:
    """`runner.run` in a thread until the block ends, then stopped and joined (30 s at most):
    the thread is yielded, for a test to see that it is still alive, or no longer."""
    stop = threading.Event()
    service = threading.Thread(target=runner.run, args=(settings, stop))
    service.start()
    try:
        yield service
    finally:
        stop.set()
        service.join(timeout=30)


def wait_for(condition: Callable[[], object], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def cursors(factory) -> int:
    """How many mailboxes the poller has opened: a cursor is stored on its first reading."""
    with transaction(factory) as session:
        return session.scalar(sa.select(sa.func.count()).select_from(MailboxCursor)) or 0

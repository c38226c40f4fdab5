"""Pytest fixtures for the real servers integration tests run against.

Register with ``pytest_plugins = ["tests.servers.fixtures"]``. Each test gets its own
Dovecot and its own SMTP sink: Dovecot starts in ~0.06 s here and stops in the background,
so a fresh server per test costs less than sharing one and isolating users. A server that
cannot start fails the test; nothing is skipped.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers.dovecot import Dovecot
from tests.servers.smtp import SmtpSink


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A fresh Dovecot with one user (``user``/``secret``) and an empty INBOX."""
    server = Dovecot().start()
    try:
        yield server
    finally:
        server.stop(wait=False)


@pytest.fixture
def smtp_sink() -> Iterator[SmtpSink]:
    """A fresh SMTP sink that accepts mail without a login and records it."""
    sink = SmtpSink().start()
    try:
        yield sink
    finally:
        sink.stop()

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
from tests.servers.tls import Certificates, make_certificates


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


@pytest.fixture
def certificates(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch):
    """A throwaway authority and loopback server certificate, trusted by this test's
    clients (``SSL_CERT_FILE``) as a public one is in production."""
    folder = tmp_path_factory.mktemp("tls")
    folder.chmod(0o755)  # Dovecot reads the files as root, its login processes do not
    files = make_certificates(folder)
    monkeypatch.setenv("SSL_CERT_FILE", str(files.ca_file))
    return files


@pytest.fixture
def tls_dovecot(certificates: Certificates) -> Iterator[Dovecot]:
    """A fresh Dovecot offering STARTTLS on ``port`` and TLS from the first byte on
    ``ssl_port``, with the ``certificates`` fixture's server certificate."""
    server = Dovecot(tls=certificates).start()
    try:
        yield server
    finally:
        server.stop(wait=False)

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
from tests.servers.oauth2 import OAuth2Server
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


# The mailbox the OAuth2 tests log in to, as Microsoft 365 and Google name it: its address.
OAUTH2_MAILBOX = "support@agency.example"


@pytest.fixture
def oauth2_provider() -> Iterator[OAuth2Server]:
    """A local OAuth2 provider: token, device and introspection endpoints on loopback."""
    server = OAuth2Server().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def oauth2_dovecot(oauth2_provider: OAuth2Server) -> Iterator[Dovecot]:
    """A fresh Dovecot whose user ``support@agency.example`` logs in with XOAUTH2 or
    OAUTHBEARER and an access token of ``oauth2_provider`` (its password works too)."""
    server = Dovecot(
        user=OAUTH2_MAILBOX, introspection_url=oauth2_provider.introspection_url
    ).start()
    try:
        yield server
    finally:
        server.stop(wait=False)

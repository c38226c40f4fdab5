"""A throwaway certificate authority for the servers' TLS in tests.

The server's certificate names 127.0.0.1 and localhost; clients trust it only where a test
puts the authority in ``SSL_CERT_FILE``, which ``ssl.create_default_context()`` reads, so
intake's own connection code runs unchanged, verifying the certificate as in production.
"""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import trustme


@dataclass(frozen=True)
class Certificates:
    ca_file: Path  # the authority, for SSL_CERT_FILE
    cert_file: Path  # the server's certificate chain
    key_file: Path  # its private key

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert_file, self.key_file)
        return context


def make_certificates(folder: Path) -> Certificates:
    """A new authority and a loopback server certificate, written as PEM files in ``folder``."""
    ca = trustme.CA()
    server = ca.issue_cert("127.0.0.1", "localhost")
    files = Certificates(folder / "ca.pem", folder / "server.pem", folder / "server.key")
    ca.cert_pem.write_to_path(str(files.ca_file))
    server.private_key_pem.write_to_path(str(files.key_file))
    with files.cert_file.open("wb") as chain:
        for blob in server.cert_chain_pems:
            chain.write(blob.bytes())
    for path in (files.ca_file, files.cert_file, files.key_file):
        path.chmod(0o644)
    return files

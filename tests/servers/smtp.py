"""An SMTP sink for tests: intake's outbox you can read, refuse and put behind a login."""

from __future__ import annotations

import base64
import binascii
import json
import ssl
import time
from collections.abc import Callable
from typing import Any, Literal

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session

from intake.demo.servers import EmbeddedSmtp, SentMessage

__all__ = ["SentMessage", "SmtpSink"]

REFUSAL = "451 4.3.0 try again later"

TlsMode = tuple[Literal["ssl", "starttls"], ssl.SSLContext]


class SmtpSink(EmbeddedSmtp):
    """aiosmtpd on a free loopback port that records every message it accepts.

    While ``refusing`` is set, every DATA is answered 451 and nothing is recorded (an
    outage). ``refused_recipients`` maps an address to the answer its RCPT TO gets, such
    as "452 4.2.2 Mailbox full"; other recipients are taken. With
    ``auth_required=(user, password)`` a sender must log in first with AUTH PLAIN or LOGIN;
    with ``bearer`` (a provider's check of an OAuth2 access token: its user, or None), with
    AUTH XOAUTH2; without either, any login is accepted and none is needed.
    """

    def __init__(
        self,
        auth_required: tuple[str, str] | None = None,
        tls: TlsMode | None = None,
        smtputf8: bool = True,
        bearer: Callable[[str], str | None] | None = None,
    ) -> None:
        """``tls=("ssl", context)``: TLS from the first byte; ``("starttls", context)``:
        plain until STARTTLS, which is required before a login or a message.
        ``smtputf8=False``: a server that takes ASCII addresses only."""
        options: dict[str, Any] = {"auth_require_tls": False, "enable_SMTPUTF8": smtputf8}
        if tls is not None:
            mode, context = tls
            if mode == "ssl":
                # aiosmtpd cannot tell a connection that began in TLS from a plain one,
                # so it must not insist on STARTTLS before AUTH there.
                options["ssl_context"] = context
            else:
                options.update(tls_context=context, require_starttls=True, auth_require_tls=True)
        super().__init__(authenticator=self._authenticate, **options)
        self.auth_required = auth_required
        self.bearer = bearer
        self.rejected_tokens = 0
        self.refusing = False
        self.refused_recipients: dict[str, str] = {}
        self.logins: list[str] = []

    def wait_for(self, count: int, timeout: float = 5.0) -> list[SentMessage]:
        """Wait until at least ``count`` messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while len(self._messages) < count:
                left = deadline - time.monotonic()
                if left <= 0 or not self._arrived.wait(left):
                    summary = [(m.mail_from, m.rcpt_tos, _subject(m.raw)) for m in self._messages]
                    raise AssertionError(
                        f"expected {count} messages within {timeout} s, got {len(summary)}: "
                        f"{summary}"
                    )
            return list(self._messages)

    def clear(self) -> None:
        """Forget every message received so far."""
        with self._arrived:
            self._messages.clear()

    def _authenticate(
        self, server: SMTP, session: Session, envelope: Envelope, mechanism: str, data: Any
    ) -> AuthResult:
        if not isinstance(data, LoginPassword) or self.bearer is not None:
            return AuthResult(success=False, handled=False)
        user, password = data.login.decode(), data.password.decode()
        ok = self.auth_required is None or (user, password) == self.auth_required
        if ok:
            with self._arrived:
                self.logins.append(user)
        return AuthResult(success=ok, handled=False)

    async def auth_XOAUTH2(self, server: SMTP, args: list[str]) -> AuthResult:
        """aiosmtpd's hook for AUTH XOAUTH2 (Google's and Microsoft's SASL mechanism): the
        token must be one the provider says is working, for the user it names. A refusal
        is a 334 challenge carrying the JSON error, answered empty, then 535."""
        blob = args[1] if len(args) > 1 else ""
        try:
            fields = base64.b64decode(blob, validate=True).decode().split("\x01")
        except (binascii.Error, UnicodeDecodeError):
            return AuthResult(success=False, handled=False)
        user = next((f[5:] for f in fields if f.startswith("user=")), "")
        token = next((f[12:] for f in fields if f.startswith("auth=Bearer ")), "")
        if self.bearer is not None and self.bearer(token) == user and user:
            with self._arrived:
                self.logins.append(user)
            return AuthResult(success=True, auth_data=LoginPassword(user.encode(), b""))
        self.rejected_tokens += 1
        await server.challenge_auth(json.dumps({"status": "401", "schemes": "bearer"}))
        return AuthResult(success=False, handled=False)

    async def handle_MAIL(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        mail_options: list[str],
    ) -> str:
        """aiosmtpd's hook for MAIL FROM: insist on a login when one is required."""
        wanted = self.auth_required is not None or self.bearer is not None
        if wanted and not session.authenticated:
            return "530 5.7.0 Authentication required"
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """aiosmtpd's hook for RCPT TO: give a refused address its answer, take the rest."""
        refusal = self.refused_recipients.get(address)
        if refusal is not None:
            return refusal
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Refuse while ``refusing`` is set; otherwise record as the embedded sink does."""
        if self.refusing:
            return REFUSAL
        return await super().handle_DATA(server, session, envelope)


def _subject(raw: bytes) -> str:
    for line in raw.split(b"\n"):
        if line.lower().startswith(b"subject:"):
            return line[8:].strip().decode("utf-8", "replace")
        if not line.strip():
            break
    return ""

"""The SMTP adapter: one connection for a batch of messages, ssl / starttls / none, login.

Errors are sorted into "try again later" for the whole server (it or the network is away,
a 4xx answer to the connection, MAIL FROM or DATA), "try this message again later" (a 4xx
answer to its recipients, such as a full mailbox) and "this message will never go" (a 5xx
answer for it), so the outbox retries only what can succeed, and one recipient's trouble
holds back no one else's mail.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from intake.errors import IntakeError, LoginRejected, ServerUnreachable
from intake.mail.oauth2 import AccessTokens, access_tokens, log_in, xoauth2
from intake.settings import SmtpSettings


class SmtpTemporaryError(IntakeError):
    """The server said "try again later" to everything (421, or a 4xx at MAIL FROM or DATA)
    or the connection failed mid-send: the rest of the batch waits too."""


@dataclass(frozen=True)
class Parcel:
    sender: str  # envelope sender
    recipients: tuple[str, ...]
    raw: bytes


@dataclass(frozen=True)
class Delivery:
    """What the server did with one message.

    ``accepted``: it took the message, though perhaps not for every recipient: ``refused``
    names each one it turned down, with its answer ("452 4.2.2 Mailbox full").
    Otherwise nobody got it, and either ``permanent_error`` says why it never will, or
    ``temporary_error`` why only this message must wait and be tried again.
    """

    accepted: bool
    permanent_error: str | None = None
    temporary_error: str | None = None
    refused: Mapping[str, str] = field(default_factory=dict)

    @property
    def refusal(self) -> str | None:
        """The recipients a sent message did not reach, each with the server's answer."""
        if not self.refused:
            return None
        return "not delivered to " + "; ".join(f"{r}: {a}" for r, a in self.refused.items())


class SmtpConnection:
    def __init__(
        self, settings: SmtpSettings, database: sessionmaker[Session] | None = None
    ) -> None:
        """``database``: where an OAuth2 refresh token may be kept (smtp.oauth2.token_store)."""
        self.settings = settings
        self._smtp: smtplib.SMTP | None = None
        self.tokens: AccessTokens | None = None
        if settings.auth == "oauth2":
            self.tokens = access_tokens(settings, database)

    def __enter__(self) -> SmtpConnection:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def open(self) -> None:
        s = self.settings
        where = self._where
        try:
            if s.security == "ssl":
                smtp: smtplib.SMTP = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                smtp = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
        except (OSError, smtplib.SMTPException) as exc:
            raise ServerUnreachable(f"smtp.host: cannot reach {where}: {_reason(exc)}") from None
        if s.username:
            try:
                self._log_in(smtp)
            except smtplib.SMTPAuthenticationError as exc:
                smtp.close()
                raise LoginRejected(
                    f"smtp.username/smtp.{'oauth2' if self.tokens else 'password'}: {where} "
                    f"rejected the login for {s.username!r}: {_reason(exc)}"
                ) from None
            except (OSError, smtplib.SMTPException) as exc:
                smtp.close()
                raise ServerUnreachable(f"smtp.host: {where}: {_reason(exc)}") from None
            except IntakeError:  # no access token to log in with: the provider said why
                smtp.close()
                raise
        self._smtp = smtp

    def _log_in(self, smtp: smtplib.SMTP) -> None:
        s = self.settings
        if self.tokens is None:
            smtp.login(s.username, s.password.get_secret_value())
            return
        smtp.ehlo_or_helo_if_needed()

        def attempt(token: str) -> None:
            # The initial response carries the token; to the server's error challenge
            # (a 334 with JSON) the client answers empty, and then hears the 535.
            smtp.auth(
                "XOAUTH2",
                lambda challenge=None: "" if challenge else xoauth2(s.username, token),
                initial_response_ok=True,
            )

        log_in(self.tokens, attempt, smtplib.SMTPAuthenticationError)

    def send(self, parcel: Parcel) -> Delivery:
        if self._smtp is None:
            raise SmtpTemporaryError("not connected")
        options: list[str] = []
        addresses = (parcel.sender, *parcel.recipients)
        try:
            if not all(address.isascii() for address in addresses):
                # An address such as josé@acme.example can only be sent with SMTPUTF8
                # (RFC 6531); without it no retry will ever succeed.
                self._smtp.ehlo_or_helo_if_needed()
                if not self._smtp.has_extn("smtputf8"):
                    wide = ", ".join(a for a in addresses if not a.isascii())
                    return Delivery(
                        False,
                        f"{wide}: a non-ASCII address needs SMTPUTF8, which {self._where} "
                        "does not offer",
                    )
                options = ["SMTPUTF8"]
            refused = self._smtp.sendmail(
                parcel.sender, list(parcel.recipients), parcel.raw, mail_options=options
            )
        except smtplib.SMTPRecipientsRefused as exc:
            return _refused(exc.recipients)
        except smtplib.SMTPResponseException as exc:
            if 500 <= exc.smtp_code < 600:
                return Delivery(False, f"{exc.smtp_code} {_text(exc.smtp_error)}")
            raise SmtpTemporaryError(f"{exc.smtp_code} {_text(exc.smtp_error)}") from None
        except (OSError, smtplib.SMTPException) as exc:
            self.close()
            raise SmtpTemporaryError(_reason(exc)) from None
        if refused and len(refused) == len(parcel.recipients):
            return _refused(refused)
        # Sent to the others: sending it again would give them a second copy, so the
        # refusal is reported for the caller to record, never retried here.
        return Delivery(True, refused={r: _answer(c, m) for r, (c, m) in refused.items()})

    def close(self) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()
            self._smtp = None


def _refused(recipients: dict[str, tuple[int, bytes]]) -> Delivery:
    """Every recipient refused, so nobody got it: for good if every answer was 5xx; if
    some was 4xx (a full mailbox, a greylist), this message is tried again later, alone.
    A 421 is the server closing the connection, which ends the batch."""
    codes = [code for code, _ in recipients.values()]
    detail = "; ".join(f"{r}: {_answer(c, m)}" for r, (c, m) in recipients.items())
    if 421 in codes:
        raise SmtpTemporaryError(detail)
    if all(500 <= c < 600 for c in codes):
        return Delivery(False, detail)
    return Delivery(False, temporary_error=detail)


def _answer(code: int, message: bytes | str) -> str:
    return f"{code} {_text(message)}"


def _text(message: bytes | str) -> str:
    return message.decode(errors="replace") if isinstance(message, bytes) else str(message)


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"{exc.smtp_code} {_text(exc.smtp_error)}"
    return (str(exc).strip() or type(exc).__name__).splitlines()[0][:200]

"""The IMAP mailbox adapter: connect, read new mail by UID without marking it, flag it
\\Seen once stored, and wait for more (IDLE when the server offers it)."""

from __future__ import annotations

import contextlib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Sequence
from datetime import UTC, datetime

import imapclient
from imapclient.exceptions import IMAPClientError, LoginError
from sqlalchemy.orm import Session, sessionmaker

from intake.errors import ConnectionLost, LoginRejected, ServerUnreachable
from intake.mail.oauth2 import AccessTokens, access_tokens, log_in
from intake.mail.store import Fetched
from intake.settings import ImapSettings

log = logging.getLogger(__name__)

# Errors that mean "the connection is gone": the poller reconnects with backoff.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    IMAPClientError,
    imapclient.IMAPClient.AbortError,
    ssl.SSLError,
)


class Mailbox:
    """One IMAP folder, read by UID."""

    def __init__(
        self,
        settings: ImapSettings,
        *,
        readonly: bool = False,
        database: sessionmaker[Session] | None = None,
    ) -> None:
        """``readonly``: the folder is EXAMINEd, so nothing can change a flag in it.
        ``database``: where an OAuth2 refresh token may be kept (imap.oauth2.token_store)."""
        self.settings = settings
        self.readonly = readonly
        self.tokens: AccessTokens | None = None
        if settings.auth == "oauth2":
            self.tokens = access_tokens(settings, database)
        self._client: imapclient.IMAPClient | None = None
        self.can_idle = False

    @property
    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    @property
    def client(self) -> imapclient.IMAPClient:
        if self._client is None:
            raise ServerUnreachable("imap: not connected")
        return self._client

    def connect(self) -> int:
        """Log in and select the folder; return its UIDVALIDITY."""
        s = self.settings
        where = self._where
        try:
            if self.tokens is None:
                client = self._logged_in(s.password.get_secret_value())
            else:
                # A rejected access token is tried again with a new one, on a new
                # connection: servers slow down (Dovecot) or drop a connection that failed.
                client = log_in(self.tokens, self._logged_in, LoginError)
        except LoginError as exc:
            raise LoginRejected(
                f"imap.username/imap.{'oauth2' if self.tokens else 'password'}: {where} "
                f"rejected the login for {s.username!r}: {_reason(exc)}"
            ) from None
        try:
            selected = client.select_folder(s.folder, readonly=self.readonly)
        except IMAPClientError as exc:
            _quietly_close(client)
            raise ServerUnreachable(
                f"imap.folder: cannot open {s.folder!r} on {where}: {_reason(exc)}"
            ) from None
        client.normalise_times = False  # INTERNALDATE with its offset, not naive local time
        self._client = client
        self.can_idle = s.idle and client.has_capability("IDLE")
        return int(selected[b"UIDVALIDITY"])

    def _logged_in(self, secret: str) -> imapclient.IMAPClient:
        """A new connection, logged in with the password or (with OAuth2) this access
        token; closed again when the login fails."""
        s = self.settings
        try:
            client = imapclient.IMAPClient(
                s.host, port=s.port, ssl=s.security == "ssl", timeout=s.timeout
            )
            if s.security == "starttls":
                client.starttls()
        except (OSError, ssl.SSLError, IMAPClientError) as exc:
            raise ServerUnreachable(
                f"imap.host: cannot reach {self._where} ({s.security}): {_reason(exc)}"
            ) from None
        try:
            if self.tokens is None:
                client.login(s.username, secret)
            else:
                client.oauth2_login(s.username, secret)
        except BaseException:
            _quietly_close(client)
            raise
        return client

    def reselect(self) -> int:
        """Select the folder again (seeing new mail and a changed UIDVALIDITY)."""
        selected = self.client.select_folder(self.settings.folder, readonly=self.readonly)
        return int(selected[b"UIDVALIDITY"])

    def uids_after(self, last_uid: int) -> list[int]:
        # What the server announced before this search is answered by it: forget it.
        self._heard_of_new_mail()
        # "n:*" always matches the newest message even when its UID is below n.
        found = self.client.search(["UID", f"{last_uid + 1}:*"])
        return sorted(uid for uid in found if uid > last_uid)

    def unseen_up_to(self, last_uid: int) -> list[int]:
        return sorted(self.client.search(["UNSEEN", "UID", f"1:{last_uid}"]))

    def sizes(self, uids: Sequence[int]) -> dict[int, int]:
        """The size in bytes of each of these messages (RFC822.SIZE), read nothing else."""
        if not uids:
            return {}
        data = self.client.fetch(list(uids), ["RFC822.SIZE"])
        return {uid: int(item.get(b"RFC822.SIZE", 0)) for uid, item in data.items()}

    def fetch(self, uids: Sequence[int]) -> list[Fetched]:
        """The raw bytes of these messages, without setting \\Seen (BODY.PEEK[]), when
        each reached the mailbox (INTERNALDATE) and whether it was read (FLAGS)."""
        if not uids:
            return []
        data = self.client.fetch(list(uids), ["BODY.PEEK[]", "INTERNALDATE", "FLAGS"])
        fetched = []
        for uid in sorted(data):
            body = data[uid].get(b"BODY[]")
            if body is not None:
                arrived = _aware(data[uid].get(b"INTERNALDATE"))
                seen = imapclient.SEEN in data[uid].get(b"FLAGS", ())
                fetched.append(Fetched(uid=uid, raw=bytes(body), received_at=arrived, seen=seen))
        return fetched

    def last_uid(self) -> int:
        """The highest UID now in the folder (0 when it is empty)."""
        return max(self.client.search(["ALL"]), default=0)

    def mark_seen(self, uids: Sequence[int]) -> None:
        if uids:
            self.client.add_flags(list(uids), [imapclient.SEEN], silent=True)

    def wait_for_mail(self, stop: threading.Event) -> None:
        """Return when new mail may have arrived, the wait is over, or ``stop`` is set.

        IDLE is re-issued at least every ``imap.idle_renew`` seconds (servers drop it at
        29 minutes); without IDLE, this waits ``imap.poll_interval`` seconds.
        """
        if self._heard_of_new_mail():
            return
        if not self.can_idle:
            stop.wait(self.settings.poll_interval)
            return
        deadline = time.monotonic() + self.settings.idle_renew
        wait = min(1.0, self.settings.idle_renew)
        self.client.idle()
        try:
            while not stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                responses = self.client.idle_check(timeout=wait)
                if any(_says_goodbye(r) for r in responses):
                    raise ConnectionLost(f"imap.host: {self._where} said BYE")
                if any(_announces_mail(r) for r in responses):
                    return
                if not responses and time.monotonic() - started < wait / 2:
                    # imapclient reports a closed socket as "nothing yet": the socket was
                    # readable, yet no line came. Without this the loop would spin.
                    raise ConnectionLost(f"imap.host: {self._where} closed the connection")
        finally:
            with contextlib.suppress(*CONNECTION_ERRORS):
                self.client.idle_done()

    def _heard_of_new_mail(self) -> bool:
        """Whether the server announced new mail (EXISTS) along with the answer to one of
        our commands since this was last asked, e.g. mail that arrived while the last
        search ran but after it looked. IDLE would not announce that mail again."""
        # imaplib keeps the untagged responses it has not been asked for in this dict.
        return bool(self.client._imap.untagged_responses.pop("EXISTS", None))

    def close(self) -> None:
        if self._client is not None:
            _quietly_close(self._client)
            self._client = None


def by_size(uids: Sequence[int], sizes: dict[int, int], limit: int) -> list[list[int]]:
    """``uids`` in order, cut into runs of at most ``limit`` bytes; a message larger than
    the limit makes a run of its own. Pure."""
    runs: list[list[int]] = []
    total = 0
    for uid in uids:
        size = sizes.get(uid, 0)
        if runs and total + size <= limit:
            runs[-1].append(uid)
            total += size
        else:
            runs.append([uid])
            total = size
    return runs


def _aware(value: object) -> datetime | None:
    """INTERNALDATE in UTC; None when the server sent none (or no offset: then it is unknown)."""
    if not isinstance(value, datetime) or value.tzinfo is None:
        return None
    return value.astimezone(UTC)


def _says_goodbye(response: object) -> bool:
    return isinstance(response, tuple) and bool(response) and response[0] == b"BYE"


def _announces_mail(response: object) -> bool:
    return (
        isinstance(response, tuple)
        and len(response) >= 2
        and response[1]
        in (
            b"EXISTS",
            b"RECENT",
        )
    )


def _reason(exc: BaseException) -> str:
    if isinstance(exc, socket.gaierror):
        return "unknown host"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError | socket.timeout):
        return "timed out"
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:200]


def _quietly_close(client: imapclient.IMAPClient) -> None:
    try:
        client.logout()
    except Exception:  # the connection is being thrown away either way
        try:
            client.shutdown()
        except Exception:
            log.debug("IMAP connection already closed")

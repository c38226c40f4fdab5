"""OAuth2 access tokens for a mailbox's IMAP and SMTP logins (SASL XOAUTH2): kept until
shortly before they expire, then renewed with the stored refresh token, and renewed once
more when a server rejects one. Microsoft's come from MSAL (intake/mail/microsoft.py),
Google's and any other provider's from Authlib (intake/mail/providers.py).

A token is never logged: the log says whose token was renewed and until when.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from intake.mail.microsoft import Microsoft
from intake.mail.providers import Grant, Provider, Standard
from intake.mail.tokens import TokenStore, account_of, token_store
from intake.settings import ImapSettings, OAuth2Settings, SmtpSettings

log = logging.getLogger(__name__)

LoggedIn = TypeVar("LoggedIn")


class AccessTokens:
    """The access tokens of one account, shared by every connection of this process."""

    def __init__(
        self,
        provider: Provider,
        store: TokenStore,
        account: str,
        refresh_before: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.provider = provider
        self.store = store
        self.account = account  # "microsoft:support@agency.example"
        self.refresh_before = refresh_before
        self._clock = clock
        self._grant: Grant | None = None
        # One renewal at a time: worker threads that need a token meanwhile wait for it
        # rather than each spending (and, with rotation, invalidating) the refresh token.
        self._lock = threading.Lock()

    def current(self) -> str:
        """An access token good for at least ``refresh_before`` seconds more."""
        with self._lock:
            grant = self._grant
            if grant is None or self._clock() >= grant.expires_at - self.refresh_before:
                grant = self._renew()
            return grant.access_token

    def renew(self, rejected: str) -> str:
        """A new access token after a server rejected ``rejected`` (revoked early, or cut
        short by the provider); one another thread just fetched will do."""
        with self._lock:
            grant = self._grant
            if grant is None or grant.access_token == rejected:
                grant = self._renew()
            return grant.access_token

    def signed_in(self, grant: Grant) -> None:
        """Keep what a sign-in (`intake auth login`) gave: its refresh token in the store,
        its access token for the logins that follow."""
        if grant.refresh_token:
            self.store.save(grant.refresh_token)
        with self._lock:
            self._grant = grant

    @property
    def expires_at(self) -> datetime | None:
        """When the access token in hand expires (None before the first one)."""
        grant = self._grant
        return None if grant is None else datetime.fromtimestamp(grant.expires_at, UTC)

    @property
    def signed_in_as(self) -> str | None:
        """Who the provider says signed in, when it says."""
        return None if self._grant is None else self._grant.account

    def _renew(self) -> Grant:
        # A token that needed renewing is of no more use, even when renewing fails: the
        # next login waits for a new one rather than offer the server a dead one again.
        self._grant = None
        # Read each time: `intake auth login` or another process may have stored a new one.
        refresh_token = self.store.load()
        grant = self.provider.refresh(refresh_token)
        if grant.refresh_token and grant.refresh_token != refresh_token:
            # The provider rotated it (Microsoft does): the old one soon stops working.
            self.store.save(grant.refresh_token)
        self._grant = grant
        log.info(
            "new access token for %s, valid until %s",
            self.account,
            datetime.fromtimestamp(grant.expires_at, UTC).isoformat(timespec="seconds"),
        )
        return grant


def log_in(
    tokens: AccessTokens, attempt: Callable[[str], LoggedIn], rejection: type[Exception]
) -> LoggedIn:
    """``attempt`` a login with the current access token and, when the server answers with
    ``rejection``, once more with a new one: a token can be revoked before it expires (a
    password reset, an administrator signing the mailbox out). A second rejection is the
    server's answer, raised."""
    token = tokens.current()
    try:
        return attempt(token)
    except rejection:
        log.info("the server rejected the access token of %s; trying a new one", tokens.account)
        return attempt(tokens.renew(token))


def provider_for(section: str, oauth2: OAuth2Settings) -> Provider:
    """The provider ``section``'s ("imap") settings name."""
    if oauth2.provider == "microsoft":
        return Microsoft(section, oauth2)
    return Standard(section, oauth2)


def xoauth2(user: str, token: str) -> str:
    """The SASL XOAUTH2 initial response (Google's and Microsoft's format)."""
    return f"user={user}\x01auth=Bearer {token}\x01\x01"


_shared: dict[tuple[object, ...], AccessTokens] = {}
_shared_lock = threading.Lock()


def access_tokens(
    server: ImapSettings | SmtpSettings, factory: sessionmaker[Session] | None = None
) -> AccessTokens:
    """The access tokens of ``server``'s account for this process: IMAP and SMTP of one
    mailbox, and every connection, share them (and so one refresh token). ``factory``:
    the database, where the refresh token may be kept."""
    oauth2 = server.oauth2
    assert oauth2 is not None and server.auth == "oauth2"  # the settings make sure of it
    account = account_of(oauth2, server.username)
    database = None if factory is None else str(factory.kw.get("bind"))
    key = (oauth2, account, database)
    with _shared_lock:
        if key not in _shared:
            store = token_store(server.section, oauth2, server.username, factory)
            provider = provider_for(server.section, oauth2)
            _shared[key] = AccessTokens(provider, store, account, oauth2.refresh_before)
        return _shared[key]

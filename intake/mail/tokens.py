"""Where a mailbox's OAuth2 refresh token is kept: a file only its owner may read, or the
database, encrypted with a key from the environment; and whether the provider refuses it.

The refresh token is the mailbox's password for as long as the provider honours it: it is
never logged, never put in an error message, and never written anywhere readable by others.
"""

from __future__ import annotations

import contextlib
import os
import stat
from datetime import datetime
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy.orm import Session, sessionmaker

from intake.db import transaction, utcnow
from intake.errors import AuthorizationLost, ConfigError
from intake.mail.models import MailboxLogin
from intake.settings import OAuth2Settings

LOGIN_AGAIN = "run `intake auth login`"


class TokenStore(Protocol):
    """Keeps one account's refresh token."""

    where: str  # for people: "/etc/intake/token" or "the database"

    def load(self) -> str:
        """The refresh token; AuthorizationLost when there is none yet."""
        ...

    def save(self, refresh_token: str) -> None: ...


class FileStore:
    """The refresh token in a file of its own, mode 0600: one refused when others may read it."""

    def __init__(self, path: Path, setting: str) -> None:
        self.path = path
        self.setting = setting  # "imap.oauth2.token_file", for messages
        self.where = str(path)

    def load(self) -> str:
        try:
            mode = self.path.stat().st_mode
        except FileNotFoundError:
            raise AuthorizationLost(
                f"{self.setting}: no refresh token in {self.path} yet; {LOGIN_AGAIN}"
            ) from None
        if mode & 0o077:
            raise ConfigError(
                f"{self.setting}: {self.path} may be read by other users (mode "
                f"{stat.S_IMODE(mode):04o}); it holds the mailbox's refresh token: "
                f"chmod 600 {self.path}"
            )
        token = self.path.read_text(encoding="ascii", errors="replace").strip()
        if not token:
            raise AuthorizationLost(f"{self.setting}: {self.path} is empty; {LOGIN_AGAIN}")
        return token

    def save(self, refresh_token: str) -> None:
        """Replace the file at once (a reader sees the old token or the new, never half),
        created 0600 so it is never readable by others, not even for a moment."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(descriptor, "w", encoding="ascii") as out:
                out.write(refresh_token + "\n")
                out.flush()
                os.fsync(out.fileno())
            os.chmod(temporary, 0o600)  # whatever the umask did
            os.replace(temporary, self.path)
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temporary)


class DatabaseStore:
    """The refresh token in ``mailbox_logins``, encrypted (Fernet: AES-128-CBC and an
    HMAC) with a key that lives in the environment only, so a copy of the database or of
    a backup alone cannot log in to the mailbox."""

    where = "the database (encrypted)"

    def __init__(
        self, factory: sessionmaker[Session], account: str, key: str, setting: str
    ) -> None:
        self.factory = factory
        self.account = account
        self._fernet = Fernet(key)
        self.setting = setting  # "imap.oauth2.token_key", for messages

    def load(self) -> str:
        with transaction(self.factory) as session:
            sealed = session.scalar(
                sa.select(MailboxLogin.refresh_token).where(MailboxLogin.account == self.account)
            )
        if not sealed:
            raise AuthorizationLost(
                f"{self.setting.removesuffix('.token_key')}: no refresh token for "
                f"{self.account} in the database yet; {LOGIN_AGAIN}"
            )
        try:
            return self._fernet.decrypt(sealed).decode("ascii")
        except InvalidToken:
            raise ConfigError(
                f"{self.setting}: this key cannot decrypt the refresh token stored for "
                f"{self.account} (was the key changed?); set the one it was stored with, "
                f"or {LOGIN_AGAIN}"
            ) from None

    def save(self, refresh_token: str) -> None:
        sealed = self._fernet.encrypt(refresh_token.encode("ascii"))
        with transaction(self.factory) as session:
            _login(session, self.account).refresh_token = sealed


def account_of(oauth2: OAuth2Settings, username: str) -> str:
    """The account's name: the provider and the mailbox address (IMAP and SMTP of one
    mailbox share it, and so their refresh token)."""
    return f"{oauth2.provider}:{username.lower()}"


def token_store(
    section: str,
    oauth2: OAuth2Settings,
    username: str,
    factory: sessionmaker[Session] | None,
) -> TokenStore:
    """Where ``section``'s ("imap", "smtp") refresh token is kept, as the settings say."""
    if oauth2.token_store == "file":
        assert oauth2.token_file is not None  # the settings make sure of it
        return FileStore(oauth2.token_file, f"{section}.oauth2.token_file")
    if factory is None:
        raise ConfigError(f'{section}.oauth2.token_store: "database" needs database_url')
    key = oauth2.token_key.get_secret_value()
    return DatabaseStore(factory, account_of(oauth2, username), key, f"{section}.oauth2.token_key")


def note_refused(session: Session, account: str) -> bool:
    """Record that the provider refuses ``account``'s refresh token; True the first time
    since it was last accepted (the one time staff are told)."""
    login = _login(session, account)
    if login.refused_since is not None:
        return False
    login.refused_since = utcnow()
    return True


def note_accepted(session: Session, account: str) -> None:
    """The account logged in again: the next refusal is news for staff once more."""
    session.execute(
        sa.update(MailboxLogin)
        .where(MailboxLogin.account == account, MailboxLogin.refused_since.is_not(None))
        .values(refused_since=None)
    )


def refused_since(session: Session, account: str) -> datetime | None:
    return session.scalar(
        sa.select(MailboxLogin.refused_since).where(MailboxLogin.account == account)
    )


def _login(session: Session, account: str) -> MailboxLogin:
    login = session.scalar(
        sa.select(MailboxLogin).where(MailboxLogin.account == account).with_for_update()
    )
    if login is None:
        login = MailboxLogin(account=account)
        session.add(login)
        session.flush()
    return login

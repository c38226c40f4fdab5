"""Where the refresh token is kept: a file only its owner reads, or the database encrypted
with a key from the environment; never shown in the settings' repr."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from cryptography.fernet import Fernet

from intake.db import make_engine, session_factory, transaction
from intake.errors import AuthorizationLost, ConfigError
from intake.mail import tokens
from intake.mail.models import MailboxLogin
from intake.mail.tokens import DatabaseStore, FileStore
from intake.settings import load_settings

SETTING = "imap.oauth2.token_file"


def test_a_token_file_is_written_0600_and_read_back(tmp_path):
    store = FileStore(tmp_path / "secrets" / "imap.token", SETTING)
    store.save("rt-one")
    store.save("rt-two")
    assert store.load() == "rt-two"
    assert store.path.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in store.path.parent.iterdir()] == ["imap.token"]


def test_a_token_file_others_may_read_is_refused_in_one_line_naming_the_setting(tmp_path):
    path = tmp_path / "imap.token"
    path.write_text("rt-secret\n")
    path.chmod(0o644)
    with pytest.raises(ConfigError) as caught:
        FileStore(path, SETTING).load()
    line = str(caught.value)
    assert line == (
        f"imap.oauth2.token_file: {path} may be read by other users (mode 0644); it holds "
        f"the mailbox's refresh token: chmod 600 {path}"
    )
    assert "rt-secret" not in line


def test_no_token_file_yet_says_to_sign_in(tmp_path):
    with pytest.raises(AuthorizationLost, match=r"^imap\.oauth2\.token_file: no refresh token"):
        FileStore(tmp_path / "imap.token", SETTING).load()


def test_the_database_keeps_the_token_encrypted_and_a_wrong_key_is_one_line(sqlite_url):
    engine = make_engine(sqlite_url)
    factory = session_factory(engine)
    key = Fernet.generate_key().decode()
    store = DatabaseStore(factory, "microsoft:support@agency.example", key, "imap.oauth2.token_key")
    store.save("rt-very-secret")
    assert store.load() == "rt-very-secret"
    with transaction(factory) as session:
        sealed = session.scalar(sa.select(MailboxLogin.refresh_token))
    assert sealed and b"rt-very-secret" not in sealed
    other = DatabaseStore(
        factory, store.account, Fernet.generate_key().decode(), "imap.oauth2.token_key"
    )
    with pytest.raises(ConfigError, match=r"^imap\.oauth2\.token_key: this key cannot decrypt"):
        other.load()
    engine.dispose()


def test_staff_hear_of_a_refused_token_once_until_it_works_again(sqlite_url):
    factory = session_factory(make_engine(sqlite_url))
    account = "generic:support@agency.example"
    with transaction(factory) as session:
        assert tokens.note_refused(session, account) is True
    with transaction(factory) as session:
        assert tokens.note_refused(session, account) is False
        tokens.note_accepted(session, account)
    with transaction(factory) as session:
        assert tokens.note_refused(session, account) is True


def test_secrets_are_not_in_the_settings_repr(monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("INTAKE_IMAP__OAUTH2__TOKEN_KEY", key)
    monkeypatch.setenv("INTAKE_IMAP__OAUTH2__CLIENT_SECRET", "app-secret-42")
    monkeypatch.setenv("INTAKE_IMAP__PASSWORD", "mailbox-password")
    settings = load_settings(
        None,
        imap={
            "auth": "oauth2",
            "username": "support@agency.example",
            "oauth2": {"client_id": "c", "tenant": "contoso.example", "token_store": "database"},
        },
        smtp={"auth": "oauth2", "username": "support@agency.example"},
    )
    shown = repr(settings) + str(settings)
    assert settings.smtp.oauth2 == settings.imap.oauth2  # one account reads and sends
    assert settings.imap.oauth2 is not None
    assert settings.imap.oauth2.client_secret.get_secret_value() == "app-secret-42"
    for secret in (key, "app-secret-42", "mailbox-password"):
        assert secret not in shown

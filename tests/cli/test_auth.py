"""`intake auth login` (the device-code sign-in) and `intake auth status`, against a local
OAuth2 provider, Dovecot and aiosmtpd."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from cryptography.fernet import Fernet

from intake.cli.main import cli
from intake.db import make_engine, session_factory, transaction
from intake.mail.models import MailboxLogin
from tests.servers.fixtures import OAUTH2_MAILBOX
from tests.servers.oauth2 import OAuth2Server, sign_in
from tests.servers.smtp import SmtpSink


def write_config(path: Path, provider: OAuth2Server, dovecot=None, sink=None, **store) -> Path:
    """Settings whose IMAP (and SMTP, given a sink) log in with ``provider``'s tokens."""
    imap = f'host = "{dovecot.host}"\nport = {dovecot.port}\n' if dovecot else ""
    smtp = f'host = "{sink.host}"\nport = {sink.port}\nauth = "oauth2"\n' if sink else ""
    oauth2 = {"token_file": str(path.parent / "imap.token"), **store}
    path.write_text(
        f'database_url = "{store.pop("database_url", "sqlite:///:memory:")}"\n'
        f'[imap]\n{imap}security = "none"\nusername = "{OAUTH2_MAILBOX}"\nauth = "oauth2"\n'
        "[imap.oauth2]\n"
        f'provider = "generic"\nclient_id = "{provider.client_id}"\n'
        f'client_secret = "{provider.client_secret}"\ntoken_url = "{provider.token_url}"\n'
        f'device_url = "{provider.device_url}"\n'
        + "".join(f'{key} = "{value}"\n' for key, value in oauth2.items() if key != "database_url")
        + f'[smtp]\nsecurity = "none"\nusername = "{OAUTH2_MAILBOX}"\n{smtp}'
    )
    return path


def sign_in_on_the_device(provider: OAuth2Server) -> threading.Thread:
    """The person, on their phone: opens the page and signs in as the mailbox."""
    person = threading.Thread(target=provider.approve, args=(OAUTH2_MAILBOX,))
    person.start()
    return person


def test_login_prints_the_url_and_code_waits_and_keeps_the_refresh_token_0600(
    oauth2_provider, tmp_path
):
    # Given settings for a provider with a device-code sign-in
    config = write_config(tmp_path / "intake.toml", oauth2_provider)
    # When someone runs `intake auth login` and signs in on another device
    person = sign_in_on_the_device(oauth2_provider)
    done = CliRunner().invoke(
        cli, ["--config", str(config), "auth", "login", "--provider", "generic"]
    )
    person.join()
    # Then it showed where to go and what to type, and kept a working refresh token
    assert done.exit_code == 0, done.output
    lines = done.output.splitlines()
    assert (
        lines[0] == f"To sign in, open {oauth2_provider.url}/activate and enter the code TEST-0001"
    )
    token_file = tmp_path / "imap.token"
    assert lines[-1] == f"Signed in as {OAUTH2_MAILBOX}; the refresh token is kept in {token_file}."
    assert token_file.stat().st_mode & 0o777 == 0o600
    kept = token_file.read_text().strip()
    assert kept in oauth2_provider.refresh_tokens and kept not in done.output


def test_login_with_another_provider_than_the_settings_is_one_line(oauth2_provider, tmp_path):
    config = write_config(tmp_path / "intake.toml", oauth2_provider)
    done = CliRunner().invoke(
        cli, ["--config", str(config), "auth", "login", "--provider", "microsoft"]
    )
    assert done.exit_code == 2
    assert done.output == (
        'intake: imap.oauth2.provider: the settings say "generic", not "microsoft"\n'
    )


def test_login_into_the_database_keeps_the_token_encrypted(
    oauth2_provider, tmp_path, sqlite_url, monkeypatch
):
    # Given the database as the store, its key in the environment
    monkeypatch.setenv("INTAKE_IMAP__OAUTH2__TOKEN_KEY", Fernet.generate_key().decode())
    config = write_config(
        tmp_path / "intake.toml", oauth2_provider, token_store="database", database_url=sqlite_url
    )
    person = sign_in_on_the_device(oauth2_provider)
    done = CliRunner().invoke(cli, ["--config", str(config), "auth", "login"])
    person.join()
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1].endswith("kept in the database (encrypted).")
    engine = make_engine(sqlite_url)
    with transaction(session_factory(engine)) as session:
        sealed = session.scalar(sa.select(MailboxLogin.refresh_token))
    engine.dispose()
    assert sealed and not any(token.encode() in sealed for token in oauth2_provider.refresh_tokens)


def test_status_says_the_account_the_expiry_and_whether_imap_and_smtp_accept_it(
    oauth2_dovecot, oauth2_provider, tmp_path
):
    # Given a signed-in mailbox whose IMAP and SMTP take OAuth2
    with SmtpSink(bearer=oauth2_provider.active) as sink:
        config = write_config(tmp_path / "intake.toml", oauth2_provider, oauth2_dovecot, sink)
        sign_in(oauth2_provider, tmp_path / "imap.token", OAUTH2_MAILBOX)
        # When someone asks how it stands
        done = CliRunner().invoke(cli, ["--config", str(config), "auth", "status"])
    # Then one line each: the account, its access token, IMAP, SMTP
    assert done.exit_code == 0, done.output
    account, token, imap, smtp = done.output.splitlines()
    assert account == (
        f"account: {OAUTH2_MAILBOX} (generic, {oauth2_provider.token_url}); refresh token in "
        f"{tmp_path / 'imap.token'}"
    )
    assert token.startswith("access token: valid until ") and token.endswith("(in 60 min)")
    assert imap == f"imap: {oauth2_dovecot.host}:{oauth2_dovecot.port} accepts the access token"
    assert smtp == f"smtp: {sink.host}:{sink.port} accepts the access token"


@pytest.mark.parametrize("revoked", [True, False])
def test_status_of_a_mailbox_to_sign_in_again_names_the_fix(
    oauth2_dovecot, oauth2_provider, tmp_path, revoked
):
    config = write_config(tmp_path / "intake.toml", oauth2_provider, oauth2_dovecot)
    if revoked:
        sign_in(oauth2_provider, tmp_path / "imap.token", OAUTH2_MAILBOX)
        oauth2_provider.revoke()
    done = CliRunner().invoke(cli, ["--config", str(config), "auth", "status"])
    assert done.exit_code == 1
    lines = done.output.splitlines()
    assert lines[1].startswith("access token: none: imap.oauth2")
    assert lines[1].endswith("run `intake auth login`")
    assert lines[2].startswith("imap: ") and "does not accept the access token" in lines[2]


def test_with_several_mailboxes_auth_names_the_one_it_means(tmp_path):
    config = tmp_path / "intake.toml"
    config.write_text(
        "".join(
            f'[[mailbox]]\naddress = "{address}"\n[mailbox.imap]\nhost = "{host}"\n'
            f'[mailbox.smtp]\nhost = "{host}"\n'
            for address, host in (
                ("support@a.example", "a.example"),
                ("billing@b.example", "b.example"),
            )
        )
    )
    unknown = CliRunner().invoke(
        cli, ["--config", str(config), "auth", "status", "--mailbox", "x@y.z"]
    )
    assert unknown.exit_code == 2
    assert unknown.output.strip().endswith(
        "--mailbox: x@y.z is none of the mailboxes (support@a.example, billing@b.example)"
    )
    chosen = CliRunner().invoke(
        cli, ["--config", str(config), "auth", "login", "--mailbox", "billing@b.example"]
    )
    assert chosen.exit_code == 2 and '.auth: it is "password", not "oauth2"' in chosen.output

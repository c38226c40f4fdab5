"""`intake auth login` (the device-code sign-in) and `intake auth status`, against a local
OAuth2 provider, Dovecot and aiosmtpd."""

from __future__ import annotations

import contextlib
import io
import re
import socket
import threading
import time
import urllib.request
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result
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


# The browser sign-in (Google's, and a generic provider's with an authorize_url).


class WatchedRunner(CliRunner):
    """A CliRunner whose output a test reads while the command still runs."""

    output: io.BytesIO | None = None

    @contextlib.contextmanager
    def isolation(self, *args, **kwargs):
        with super().isolation(*args, **kwargs) as streams:
            self.output = streams[2]
            yield streams


class Login:
    """`intake auth login` running in a thread, as someone runs it in a terminal."""

    def __init__(self, config: Path, *options: str) -> None:
        self.runner = WatchedRunner()
        self.result: Result | None = None
        arguments = ["--config", str(config), "auth", "login", *options]
        self.thread = threading.Thread(
            target=lambda: setattr(self, "result", self.runner.invoke(cli, arguments))
        )
        self.thread.start()

    def printed_url(self, timeout: float = 10.0) -> str:
        """The address it asks the person to open in a browser."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.runner.output.getvalue().decode() if self.runner.output else ""
            for line in shown.splitlines():
                if line.startswith("http"):
                    return line
            time.sleep(0.02)
        raise AssertionError(f"no URL printed: {shown!r}")

    def done(self) -> Result:
        self.thread.join(timeout=20)
        assert self.result is not None
        return self.result


def open_in_a_browser(url: str) -> str:
    """What a browser does: fetch the page, follow the provider's redirect (to intake's
    listener on 127.0.0.1), and show the last page."""
    browser = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with browser.open(url, timeout=10) as page:
        return page.read().decode()


def browser_config(path: Path, provider: OAuth2Server, kind: str) -> Path:
    """Settings for ``kind`` ("google", "generic") with ``provider``'s endpoints."""
    path.write_text(
        f'[imap]\nsecurity = "none"\nusername = "{OAUTH2_MAILBOX}"\nauth = "oauth2"\n'
        f'[imap.oauth2]\nprovider = "{kind}"\nclient_id = "{provider.client_id}"\n'
        f'client_secret = "{provider.client_secret}"\ntoken_url = "{provider.token_url}"\n'
        f'authorize_url = "{provider.authorize_url}"\n'
        f'token_file = "{path.parent / "imap.token"}"\n'
        f'[smtp]\nsecurity = "none"\nusername = "{OAUTH2_MAILBOX}"\n'
    )
    return path


def with_query(url: str, **changed: str) -> str:
    parts = urlsplit(url)
    return parts._replace(query=urlencode({**dict(parse_qsl(parts.query)), **changed})).geturl()


@pytest.mark.parametrize("kind", ["google", "generic"])
def test_login_in_a_browser_brings_the_code_back_to_intake_and_keeps_the_refresh_token(
    oauth2_provider, tmp_path, kind
):
    # Given a provider that signs in through the browser, and the mailbox's person at it
    config = browser_config(tmp_path / "intake.toml", oauth2_provider, kind)
    oauth2_provider.browser_user = OAUTH2_MAILBOX
    # When someone runs `intake auth login`, opens the address it prints and signs in
    login = Login(config, "--provider", kind)
    url = login.printed_url()
    page = open_in_a_browser(url)
    done = login.done()
    # Then it asked for offline access with PKCE, coming back to a port on 127.0.0.1
    assert done.exit_code == 0, done.output
    asked = oauth2_provider.authorizations[0]
    assert url.startswith(f"{oauth2_provider.authorize_url}?")
    assert asked["access_type"] == "offline" and asked["prompt"] == "consent"
    assert asked["code_challenge_method"] == "S256" and len(asked["code_challenge"]) == 43
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+/", asked["redirect_uri"])
    assert asked.get("scope", "") == ("https://mail.google.com/" if kind == "google" else "")
    # And the browser was told to go back to intake, which kept a working refresh token
    assert "intake received the sign-in." in page
    token_file = tmp_path / "imap.token"
    assert done.output.splitlines() == [
        f"To sign in, open this address in a browser on this computer and sign in as "
        f"{OAUTH2_MAILBOX}:",
        url,
        f"Waiting for the sign-in (it comes back to {asked['redirect_uri']})...",
        f"Signed in as {OAUTH2_MAILBOX}; the refresh token is kept in {token_file}.",
    ]
    assert token_file.stat().st_mode & 0o777 == 0o600
    kept = token_file.read_text().strip()
    assert kept in oauth2_provider.refresh_tokens and kept not in done.output


@pytest.mark.parametrize(
    ("forged", "said"),
    [
        # A page that sends the browser back with another sign-in's state
        ("state", "the browser came back from another sign-in than this one"),
        # A code obtained for another PKCE challenge (one intercepted or injected)
        ("code_challenge", "refused the sign-in's code (invalid_grant: the code_verifier"),
    ],
)
def test_a_browser_sign_in_that_is_not_this_one_stores_nothing_in_one_line(
    oauth2_provider, tmp_path, forged, said
):
    config = browser_config(tmp_path / "intake.toml", oauth2_provider, "google")
    oauth2_provider.browser_user = OAUTH2_MAILBOX
    login = Login(config)
    open_in_a_browser(with_query(login.printed_url(), **{forged: "A" * 43}))
    done = login.done()
    assert done.exit_code == 1
    last = done.output.splitlines()[-1]
    assert last.startswith("intake: imap.oauth2: ") and said in last
    assert last.endswith("nothing was stored; run `intake auth login` again")
    assert not (tmp_path / "imap.token").exists()
    # A forged state's code is never redeemed
    assert len(oauth2_provider.codes) == (1 if forged == "state" else 0)


def test_a_browser_sign_in_nobody_finishes_is_one_line(oauth2_provider, tmp_path):
    config = browser_config(tmp_path / "intake.toml", oauth2_provider, "google")
    done = CliRunner().invoke(cli, ["--config", str(config), "auth", "login", "--wait", "1"])
    assert done.exit_code == 1
    assert done.output.splitlines()[-1] == (
        "intake: imap.oauth2: nobody signed in within 1 s; nothing was stored; "
        "run `intake auth login` again"
    )
    assert not (tmp_path / "imap.token").exists()


def test_a_declined_browser_sign_in_is_one_line(oauth2_provider, tmp_path):
    config = browser_config(tmp_path / "intake.toml", oauth2_provider, "generic")
    login = Login(config)  # and the person clicks "Cancel" (browser_user None)
    page = open_in_a_browser(login.printed_url())
    done = login.done()
    assert "The sign-in did not happen." in page
    assert done.exit_code == 1
    assert done.output.splitlines()[-1] == (
        "intake: imap.oauth2: the sign-in did not happen (access_denied); "
        "run `intake auth login` again"
    )


def test_a_generic_provider_with_no_way_to_sign_in_names_authorize_url(oauth2_provider, tmp_path):
    config = write_config(tmp_path / "intake.toml", oauth2_provider)
    config.write_text(config.read_text().replace("device_url", "# device_url"))
    done = CliRunner().invoke(cli, ["--config", str(config), "auth", "login"])
    assert done.exit_code == 2
    assert done.output == (
        f"intake: imap.oauth2.authorize_url: 127.0.0.1:{oauth2_provider.port} has no sign-in "
        "configured; set its authorization endpoint (or device_url, its device "
        "authorization endpoint)\n"
    )


def test_a_port_already_taken_is_one_line(oauth2_provider, tmp_path):
    config = browser_config(tmp_path / "intake.toml", oauth2_provider, "google")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = CliRunner().invoke(
            cli, ["--config", str(config), "auth", "login", "--port", str(port)]
        )
    assert done.exit_code == 2
    assert done.output == (
        f"intake: --port: cannot listen on 127.0.0.1:{port}: Address already in use\n"
    )

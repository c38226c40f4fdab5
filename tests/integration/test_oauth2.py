"""An OAuth2 mailbox under `intake run`: it reads and sends with one signed-in account, and
a refresh token revoked while it runs costs one log line and one email to staff, loses
nothing, and is over once someone signs in again."""

from __future__ import annotations

import email
import email.policy
import logging

import sqlalchemy as sa

from intake.db import make_engine, session_factory, transaction
from intake.mail.models import InboundMessage
from tests.integration.running import intake_running, wait_for
from tests.mailbuilder import message
from tests.servers.fixtures import OAUTH2_MAILBOX
from tests.servers.oauth2 import oauth2_settings, sign_in
from tests.servers.smtp import SmtpSink
from workers import runner


def imap_of(dovecot, provider, token_file, **extra):
    return {
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "none",
        "username": OAUTH2_MAILBOX,
        "auth": "oauth2",
        "oauth2": oauth2_settings(provider, token_file),
        **extra,
    }


def stored(db_url: str) -> int:
    engine = make_engine(db_url)
    try:
        with transaction(session_factory(engine)) as session:
            return int(session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)))
    finally:
        engine.dispose()


def test_run_once_reads_and_answers_with_one_signed_in_account(
    oauth2_dovecot, oauth2_provider, make_settings, sqlite_url, tmp_path
):
    # Given a mailbox whose IMAP and SMTP both log in with the account `intake auth login`
    # signed in (a provider that rotates refresh tokens: one spent twice would be refused)
    token_file = tmp_path / "mailbox.token"
    sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    oauth2_dovecot.append(message(subject="Checkout is down"))
    with SmtpSink(bearer=oauth2_provider.active) as sink:
        settings = make_settings(
            database_url=sqlite_url,
            imap=imap_of(oauth2_dovecot, oauth2_provider, token_file),
            smtp={
                "host": sink.host,
                "port": sink.port,
                "security": "none",
                "username": OAUTH2_MAILBOX,
                "auth": "oauth2",
            },
        )
        # When intake runs once
        runner.run_once(settings, timeout=60)
        # Then it read the request and sent its replies, each server taking the one token
        assert stored(sqlite_url) == 1
        assert sink.messages and set(sink.logins) == {OAUTH2_MAILBOX}
    assert oauth2_provider.refreshes == 1 and oauth2_provider.refusals == []


def test_a_revoked_refresh_token_tells_staff_once_loses_nothing_and_heals_by_signing_in(
    oauth2_dovecot, oauth2_provider, make_settings, sqlite_url, tmp_path, caplog
):
    # Given `intake run` on an OAuth2 mailbox (replies through an SMTP server of its own),
    # retrying at most every 0.3 s, and a refresh token the provider revoked
    token_file = tmp_path / "imap.token"
    revoked = sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    oauth2_provider.revoke()
    uid = oauth2_dovecot.append(message(subject="Checkout is down"))
    caplog.set_level(logging.DEBUG)
    with SmtpSink() as sink:
        imap = imap_of(oauth2_dovecot, oauth2_provider, token_file, reconnect_max=0.3)
        settings = make_settings(
            database_url=sqlite_url,
            imap=imap,
            smtp={"host": sink.host, "port": sink.port, "security": "none"},
        )
        with intake_running(settings) as service:
            # When it has tried a few times
            notice = sink.wait_for(1, timeout=20)[0]
            wait_for(lambda: oauth2_provider.refusals.count("invalid_grant") >= 4)
            # Then it is still running, staff were told once, and the mail waits unread
            assert service.is_alive()
            assert len(sink.messages) == 1 and notice.rcpt_tos == ["dana@agency.example"]
            mail = email.message_from_bytes(notice.raw, policy=email.policy.default)
            assert "sign in again with intake auth login" in str(mail["subject"])
            assert "intake auth login" in mail.get_body(("plain",)).get_content()
            assert oauth2_dovecot.uids("UNSEEN") == [uid] and stored(sqlite_url) == 0
            errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
            assert len(errors) == 1 and "\n" not in errors[0]
            assert errors[0].startswith("imap.oauth2: 127.0.0.1:")
            assert "run `intake auth login`" in errors[0]
            # When someone signs in again
            sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
            # Then the next try reads the mail, and files and answers it
            wait_for(lambda: stored(sqlite_url) == 1)
            wait_for(lambda: oauth2_dovecot.uids("UNSEEN") == [])
            sink.wait_for(2)  # the notice of the request, at last
    assert not service.is_alive()
    # And no token was ever logged
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert revoked not in logged and token_file.read_text().strip() not in logged
    assert not any(issued.token in logged for issued in oauth2_provider.issued)

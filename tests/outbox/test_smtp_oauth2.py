"""Sending with OAuth2 (SASL XOAUTH2) through aiosmtpd, whose tokens a local provider
vouches for, as Microsoft 365's and Gmail's SMTP servers do."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from intake.errors import AuthorizationLost
from intake.outbox.smtp import Parcel, SmtpConnection
from intake.settings import SmtpSettings
from tests.mailbuilder import message
from tests.servers.fixtures import OAUTH2_MAILBOX
from tests.servers.oauth2 import OAuth2Server, oauth2_settings, sign_in
from tests.servers.smtp import SmtpSink


@pytest.fixture
def oauth2_sink(oauth2_provider: OAuth2Server) -> Iterator[SmtpSink]:
    """An SMTP server that takes mail only after AUTH XOAUTH2 with a working token."""
    sink = SmtpSink(bearer=oauth2_provider.active).start()
    try:
        yield sink
    finally:
        sink.stop()


def smtp_settings(sink, provider, token_file) -> SmtpSettings:
    return SmtpSettings(
        host=sink.host,
        port=sink.port,
        security="none",
        username=OAUTH2_MAILBOX,
        auth="oauth2",
        oauth2=oauth2_settings(provider, token_file),
    )


def send_one(settings: SmtpSettings, subject: str) -> None:
    parcel = Parcel(OAUTH2_MAILBOX, ("zoe@zed.example",), message(subject=subject))
    with SmtpConnection(settings) as connection:
        assert connection.send(parcel).accepted


def test_mail_is_sent_after_an_xoauth2_login_and_a_rejected_token_is_renewed_once(
    oauth2_sink, oauth2_provider, tmp_path
):
    # Given a mailbox signed in with OAuth2
    token_file = tmp_path / "smtp.token"
    sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    settings = smtp_settings(oauth2_sink, oauth2_provider, token_file)
    # When intake sends, and sends again after the provider cut its access token short
    send_one(settings, "First")
    oauth2_provider.cut_short()
    send_one(settings, "Second")
    # Then both went, the second after one refused token and one renewal
    assert [b"Subject: First" in m.raw for m in oauth2_sink.messages] == [True, False]
    assert oauth2_sink.logins == [OAUTH2_MAILBOX] * 2
    assert oauth2_sink.rejected_tokens == 1 and oauth2_provider.refreshes == 2


def test_a_revoked_refresh_token_stops_sending_with_one_line_naming_the_fix(
    oauth2_sink, oauth2_provider, tmp_path
):
    token_file = tmp_path / "smtp.token"
    sign_in(oauth2_provider, token_file, OAUTH2_MAILBOX)
    settings = smtp_settings(oauth2_sink, oauth2_provider, token_file)
    send_one(settings, "First")
    oauth2_provider.revoke()
    with pytest.raises(AuthorizationLost, match=r"^smtp\.oauth2: .*; run `intake auth login`$"):
        send_one(settings, "Second")
    assert len(oauth2_sink.messages) == 1

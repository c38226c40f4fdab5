"""The test servers behave as the integration tests assume: real IMAP and SMTP on loopback."""

from __future__ import annotations

import smtplib
import time

import pytest

from tests.servers import dovecot as dovecot_module
from tests.servers.dovecot import Dovecot, DovecotError
from tests.servers.smtp import SmtpSink

pytest_plugins = ["tests.servers.fixtures"]

pytestmark = pytest.mark.integration

RAW = (
    b"From: alice@acme.example\r\nSubject: Site down\r\n"
    b"Message-ID: <a1@acme.example>\r\n\r\nHelp\r\n"
)


def test_append_then_fetch_with_peek_leaves_message_unseen(dovecot: Dovecot) -> None:
    uid = dovecot.append(RAW)

    with dovecot.client() as client:
        client.select_folder(dovecot.folder)
        fetched = client.fetch([uid], ["BODY.PEEK[]"])

    assert fetched[uid][b"BODY[]"] == RAW
    assert b"\\Seen" not in dovecot.flags(uid)
    assert dovecot.uids("UNSEEN") == [uid]


def test_append_many_keeps_order_and_flags(dovecot: Dovecot) -> None:
    uids = dovecot.append_many([RAW, RAW.replace(b"a1@", b"a2@")], flags=["\\Seen"])

    assert uids == [1, 2]
    assert b"\\Seen" in dovecot.flags(2)


def test_idle_announces_a_new_append(dovecot: Dovecot) -> None:
    with dovecot.client() as client:
        client.select_folder(dovecot.folder)
        client.idle()
        dovecot.append(RAW)
        started = time.monotonic()
        responses = client.idle_check(timeout=5)
        client.idle_done()

    assert (1, b"EXISTS") in responses
    assert time.monotonic() - started < 2


def test_recreating_inbox_changes_uidvalidity_and_restarts_uids(dovecot: Dovecot) -> None:
    dovecot.append_many([RAW, RAW, RAW])
    before = dovecot.uidvalidity()

    uids = dovecot.recreate_folder([RAW])

    assert dovecot.uidvalidity() != before
    assert uids == [1]
    assert dovecot.uids() == [1]


def test_two_servers_run_side_by_side(dovecot: Dovecot) -> None:
    other = Dovecot().start()
    try:
        other.append(RAW)

        assert other.port != dovecot.port
        assert dovecot.uids() == []
        assert other.uids() == [1]
    finally:
        other.stop(wait=False)


def test_a_server_that_cannot_start_raises_with_its_log(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dovecot_module, "_CONFIG", "no_such_setting = 1\n" + dovecot_module._CONFIG)

    with pytest.raises(DovecotError, match="no_such_setting"):
        Dovecot().start()


def test_smtplib_delivers_to_the_sink(smtp_sink: SmtpSink) -> None:
    with smtplib.SMTP(smtp_sink.host, smtp_sink.port) as smtp:
        smtp.sendmail("support@agency.example", ["alice@acme.example"], RAW)

    [message] = smtp_sink.wait_for(1)
    assert message.mail_from == "support@agency.example"
    assert message.rcpt_tos == ["alice@acme.example"]
    assert message.raw == RAW


def test_a_refusing_sink_answers_451(smtp_sink: SmtpSink) -> None:
    smtp_sink.refusing = True

    with (
        smtplib.SMTP(smtp_sink.host, smtp_sink.port) as smtp,
        pytest.raises(smtplib.SMTPResponseException) as refused,
    ):
        smtp.sendmail("support@agency.example", ["alice@acme.example"], RAW)

    assert isinstance(refused.value, smtplib.SMTPDataError)
    assert refused.value.smtp_code == 451
    assert smtp_sink.messages == []


def test_wait_for_says_what_arrived_on_timeout(smtp_sink: SmtpSink) -> None:
    with pytest.raises(AssertionError, match="got 0"):
        smtp_sink.wait_for(1, timeout=0.1)


@pytest.mark.parametrize("mechanism", ["PLAIN", "LOGIN"])
def test_a_sink_with_a_login_rejects_anonymous_senders(mechanism: str) -> None:
    with SmtpSink(auth_required=("outbox", "pw")) as sink:
        with smtplib.SMTP(sink.host, sink.port) as smtp, pytest.raises(smtplib.SMTPSenderRefused):
            smtp.sendmail("support@agency.example", ["alice@acme.example"], RAW)
        with smtplib.SMTP(sink.host, sink.port) as smtp:
            smtp.ehlo()
            smtp.user, smtp.password = "outbox", "pw"
            smtp.auth(mechanism, getattr(smtp, f"auth_{mechanism.lower()}"))
            smtp.sendmail("support@agency.example", ["alice@acme.example"], RAW)

        assert len(sink.wait_for(1)) == 1
        assert sink.logins == ["outbox"]


def test_a_sink_with_a_login_rejects_a_wrong_password() -> None:
    with (
        SmtpSink(auth_required=("outbox", "pw")) as sink,
        smtplib.SMTP(sink.host, sink.port) as smtp,
        pytest.raises(smtplib.SMTPAuthenticationError),
    ):
        smtp.login("outbox", "wrong")

"""The SMTP adapter against a real aiosmtpd server on loopback."""

from __future__ import annotations

import pytest

from intake.errors import LoginRejected, ServerUnreachable
from intake.outbox.smtp import Parcel, SmtpConnection, SmtpTemporaryError, send_each
from intake.settings import SmtpSettings
from tests.mailbuilder import message
from tests.servers.smtp import SmtpSink


def settings_of(sink, **extra) -> SmtpSettings:
    return SmtpSettings(host=sink.host, port=sink.port, security="none", **extra)


def parcel(n: int) -> Parcel:
    return Parcel("support@agency.example", ("zoe@zed.example",), message(subject=f"M{n}"))


def test_a_batch_goes_over_one_connection_with_a_login():
    sink = SmtpSink(auth_required=("intake", "pw")).start()
    try:
        results = list(
            send_each(
                settings_of(sink, username="intake", password="pw"),
                [(n, parcel(n)) for n in range(3)],
            )
        )
        assert [(key, d.accepted) for key, d in results] == [(0, True), (1, True), (2, True)]
        assert len(sink.messages) == 3 and sink.logins == ["intake"]
        assert sink.messages[0].mail_from == "support@agency.example"
    finally:
        sink.stop()


def test_a_rejected_login_is_one_line_naming_the_settings():
    sink = SmtpSink(auth_required=("intake", "pw")).start()
    try:
        with pytest.raises(LoginRejected, match=r"^smtp\.username/smtp\.password: "):
            SmtpConnection(settings_of(sink, username="intake", password="nope")).open()
    finally:
        sink.stop()


def test_an_unreachable_server_is_one_line_naming_the_setting():
    with pytest.raises(ServerUnreachable, match=r"^smtp\.host: cannot reach 127\.0\.0\.1:1: "):
        SmtpConnection(SmtpSettings(host="127.0.0.1", port=1, security="none")).open()


def test_try_again_later_is_temporary_and_stops_the_batch(smtp_sink):
    smtp_sink.refusing = True
    sent = send_each(settings_of(smtp_sink), [(n, parcel(n)) for n in range(3)])
    with pytest.raises(SmtpTemporaryError, match="451"):
        next(sent)
    assert smtp_sink.messages == []


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_mail_goes_over_tls_with_a_verified_certificate_and_a_login(certificates, security):
    # Given a server that speaks TLS (from the first byte, or after STARTTLS, which it
    # requires before a login) with a certificate from an authority this machine trusts
    context = certificates.server_context()
    sink = SmtpSink(auth_required=("intake", "pw"), tls=(security, context)).start()
    try:
        # When intake sends with that security setting
        settings = SmtpSettings(
            host=sink.host, port=sink.port, security=security, username="intake", password="pw"
        )
        results = list(send_each(settings, [(1, parcel(1))]))
        # Then the login and the message went through
        assert [(key, d.accepted) for key, d in results] == [(1, True)]
        assert sink.logins == ["intake"] and len(sink.messages) == 1
    finally:
        sink.stop()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_a_certificate_nobody_vouches_for_is_one_line_naming_the_setting(
    certificates, monkeypatch, security
):
    # Given a TLS server whose authority this machine does not trust
    monkeypatch.delenv("SSL_CERT_FILE")
    sink = SmtpSink(tls=(security, certificates.server_context())).start()
    try:
        settings = SmtpSettings(host=sink.host, port=sink.port, security=security)
        # When intake connects, then it refuses to talk, in one line, and sends nothing
        with pytest.raises(ServerUnreachable, match=r"^smtp\.host: .*certificate verify failed"):
            SmtpConnection(settings).open()
        assert sink.messages == []
    finally:
        sink.stop()


def test_starttls_to_a_server_that_does_not_offer_it_is_one_line(smtp_sink):
    settings = SmtpSettings(host=smtp_sink.host, port=smtp_sink.port, security="starttls")
    with pytest.raises(ServerUnreachable, match=r"^smtp\.host: .*STARTTLS"):
        SmtpConnection(settings).open()

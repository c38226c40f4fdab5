"""The SMTP adapter against a real aiosmtpd server on loopback."""

from __future__ import annotations

import pytest

from intake.errors import LoginRejected, ServerUnreachable
from intake.outbox.smtp import Delivery, Parcel, SmtpConnection, SmtpTemporaryError
from intake.settings import SmtpSettings
from tests.mailbuilder import message
from tests.servers.smtp import SmtpSink


def settings_of(sink, **extra) -> SmtpSettings:
    return SmtpSettings(host=sink.host, port=sink.port, security="none", **extra)


def parcel(n: int) -> Parcel:
    return Parcel("support@agency.example", ("zoe@zed.example",), message(subject=f"M{n}"))


def send_all(settings: SmtpSettings, parcels: list[Parcel]) -> list[Delivery]:
    """Over one connection, as the delivery worker sends a batch."""
    with SmtpConnection(settings) as connection:
        return [connection.send(p) for p in parcels]


def test_a_batch_goes_over_one_connection_with_a_login():
    sink = SmtpSink(auth_required=("intake", "pw")).start()
    try:
        results = send_all(
            settings_of(sink, username="intake", password="pw"), [parcel(n) for n in range(3)]
        )
        assert [d.accepted for d in results] == [True, True, True]
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
    with pytest.raises(SmtpTemporaryError, match="451"):
        send_all(settings_of(smtp_sink), [parcel(n) for n in range(3)])
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
        results = send_all(settings, [parcel(1)])
        # Then the login and the message went through
        assert [d.accepted for d in results] == [True]
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

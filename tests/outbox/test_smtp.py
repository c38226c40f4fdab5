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

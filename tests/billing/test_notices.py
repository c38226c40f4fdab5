"""A statement email the mail server refuses, for good or for one of its addresses: staff
are told which client's statement for which month did not reach whom, over a real aiosmtpd
sink that refuses the address."""

from __future__ import annotations

import email
from collections.abc import Iterator
from email.policy import default
from pathlib import Path

import pytest
import sqlalchemy as sa

from intake.billing import notices
from intake.billing import service as billing
from intake.billing.statement import Period
from intake.clients.models import Client
from intake.db import transaction
from intake.outbox import delivery
from intake.outbox.models import OutboundMessage
from tests.billing.test_cli import intake
from tests.factories import add_example_clients, october_work
from tests.servers.smtp import SmtpSink

OCTOBER = Period(2026, 10)
GONE = "accounts@acme.example"
CFO = "cfo@acme.example"


@pytest.fixture
def sink() -> Iterator[SmtpSink]:
    """The sink, answering RCPT TO for Acme's billing address with a permanent 550."""
    server = SmtpSink().start()
    server.refused_recipients = {
        GONE: f"550 5.1.1 <{GONE}>: Recipient address rejected: User unknown"
    }
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def settings(make_settings, db_url, sink):
    return make_settings(
        database_url=db_url, smtp={"host": sink.host, "port": sink.port, "security": "none"}
    )


def parsed(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=default)


def test_staff_are_told_of_a_statement_refused_for_good(factory, settings, sink):
    # Given October's statements, stored and queued (Acme's billing address no longer exists)
    with transaction(factory) as session:
        add_example_clients(session)
        october_work(session)
        results = billing.bill(session, settings, OCTOBER)
        ids = [i for r in results for i in r.outbound_ids]
    # When they are delivered
    result = delivery.deliver(factory, settings, ids)
    # Then Acme's statement is refused for good, Zed's goes
    assert len(result.failed) == 1 and len(result.sent) == 1
    assert [m.rcpt_tos for m in sink.messages] == [["buchhaltung@zed.example"]]
    # And staff get a notice naming the client and the month, queued with the refusal
    with transaction(factory) as session:
        [notice] = session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.kind == notices.NOTICE)
        ).all()
        assert notice.recipients == ["dana@agency.example"] and notice.state == "pending"
        assert notice.subject == f"Statement for 2026-10 not sent: acme ({GONE} refused)"
        text = parsed(notice.raw).get_body(("plain",)).get_content()
        html = parsed(notice.raw).get_body(("html",)).get_content()
        notice_id = notice.id
    assert "The statement of Acme Ltd for October 2026 could not be sent" in text
    assert "550 5.1.1" in text and "User unknown" in text
    assert "intake bill --period 2026-10 --resend --client acme" in text
    assert "<strong>Acme Ltd</strong> for <strong>October 2026</strong>" in html
    # And the notice itself reaches staff
    assert delivery.deliver(factory, settings, [notice_id]).sent == [notice_id]
    assert sink.messages[-1].rcpt_tos == ["dana@agency.example"]


def billing_config(tmp_path, db_url: str, sink) -> Path:
    """A settings file for `intake bill`: this database, the sink, Dana as the lead."""
    config = tmp_path / "intake.toml"
    config.write_text(
        f'database_url = "{db_url}"\n'
        f'[smtp]\nhost = "{sink.host}"\nport = {sink.port}\nsecurity = "none"\n'
        '[[staff]]\nemail = "dana@agency.example"\nname = "Dana"\nlead = true\n'
    )
    return config


def test_intake_bill_sends_the_notice_at_once(tmp_path, db_url, factory, sink):
    # Given October's work, and Acme's billing address gone
    config = billing_config(tmp_path, db_url, sink)
    with transaction(factory) as session:
        add_example_clients(session)
        october_work(session)
    # When October is billed by hand
    result = intake(config, "bill", "--period", "2026-10")
    # Then the run succeeds, says one email was refused, and staff have been told already
    assert result.exit_code == 0, result.output
    assert "refused by the mail server for good: 1 email(s)" in result.stderr
    subjects = {_subject(m.raw): m.rcpt_tos for m in sink.messages}
    assert subjects[f"Statement for 2026-10 not sent: acme ({GONE} refused)"] == [
        "dana@agency.example"
    ]
    # And the summary of the run went to staff too, and Zed's statement to Zed
    assert ["buchhaltung@zed.example"] in subjects.values()
    assert len(sink.messages) == 3


def test_intake_bill_sends_the_notice_of_a_partly_refused_statement_at_once(
    tmp_path, db_url, factory, sink
):
    # Given October's work, and Acme billing to two addresses, the first one's mailbox full
    sink.refused_recipients = {GONE: "452 4.2.2 Mailbox full"}
    config = billing_config(tmp_path, db_url, sink)
    with transaction(factory) as session:
        add_example_clients(session)
        october_work(session)
        acme = session.scalars(sa.select(Client).where(Client.slug == "acme")).one()
        acme.billing_emails = [GONE, CFO]
    # When October is billed by hand
    result = intake(config, "bill", "--period", "2026-10")
    # Then the run says so, and staff have been told already
    assert result.exit_code == 0, result.output
    assert "sent, but refused for some recipients: 1 email(s)" in result.stderr
    subjects = {_subject(m.raw): m.rcpt_tos for m in sink.messages}
    assert subjects[f"Statement for 2026-10 not delivered to {GONE}: acme (sent to {CFO})"] == [
        "dana@agency.example"
    ]


def _subject(raw: bytes) -> str:
    return str(parsed(raw)["Subject"])


def test_staff_are_told_of_a_statement_one_billing_address_did_not_get(factory, settings, sink):
    # Given Acme bills to two addresses, and the first one's mailbox is full
    sink.refused_recipients = {GONE: "452 4.2.2 Mailbox full"}
    with transaction(factory) as session:
        add_example_clients(session)
        october_work(session)
        acme = session.scalars(sa.select(Client).where(Client.slug == "acme")).one()
        acme.billing_emails = [GONE, CFO]
        results = billing.bill(session, settings, OCTOBER)
        ids = [i for r in results for i in r.outbound_ids]
    # When the statements are delivered
    result = delivery.deliver(factory, settings, ids)
    # Then Acme's reaches its other address, is counted sent and will not go again
    assert sorted(result.sent) == sorted(ids) and result.refused_in_part == [ids[0]]
    assert sorted(m.rcpt_tos for m in sink.messages) == [["buchhaltung@zed.example"], [CFO]]
    assert delivery.deliver(factory, settings, ids).sent == []
    # And the statement email records whom it did not reach, and why
    with transaction(factory) as session:
        statement = session.get_one(OutboundMessage, ids[0])
        assert statement.state == "sent"
        assert statement.last_error == f"not delivered to {GONE}: 452 4.2.2 Mailbox full"
        # And staff get a notice saying so, not that the statement was never sent
        [notice] = session.scalars(
            sa.select(OutboundMessage).where(OutboundMessage.kind == notices.NOTICE)
        ).all()
        assert notice.subject == (
            f"Statement for 2026-10 not delivered to {GONE}: acme (sent to {CFO})"
        )
        text = parsed(notice.raw).get_body(("plain",)).get_content()
    assert f"October 2026 was not delivered to\n{GONE}" in text
    assert f"It did reach\n{CFO}" in text and "could not be sent" not in text
    assert "452 4.2.2 Mailbox full" in text

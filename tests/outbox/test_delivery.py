"""Delivering the outbox to a real aiosmtpd server: each email on its own, so one that can
never go does not hold back the others."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from intake.db import transaction
from intake.mail.models import OutboundMessage
from intake.outbox import delivery
from tests.mailbuilder import message
from tests.servers.smtp import SmtpSink

JOSE = "josé@acme.example"


def queue(factory, *recipients: str) -> list[int]:
    with transaction(factory) as session:
        rows = [
            OutboundMessage(
                message_id=f"m{n}@agency.example",
                kind="staff_held",
                recipients=[to],
                subject=f"M{n}",
                raw=message(subject=f"M{n}", message_id=f"m{n}@agency.example"),
            )
            for n, to in enumerate(recipients)
        ]
        session.add_all(rows)
        session.flush()
        return [row.id for row in rows]


def states(factory) -> list[tuple[str, str | None]]:
    with transaction(factory) as session:
        rows = session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id))
        return [(row.state, row.last_error) for row in rows]


@pytest.fixture
def sink_for(request):
    sinks: list[SmtpSink] = []

    def start(**options) -> SmtpSink:
        sinks.append(SmtpSink(**options).start())
        return sinks[-1]

    yield start
    for sink in sinks:
        sink.stop()


def test_a_non_ascii_address_goes_with_smtputf8(factory, make_settings, sink_for):
    # Given a server that offers SMTPUTF8, as today's servers do
    sink = sink_for()
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    ids = queue(factory, "alice@acme.example", JOSE)
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then both went, José's address as he wrote it
    assert result.sent == ids and states(factory) == [("sent", None), ("sent", None)]
    assert [m.rcpt_tos for m in sink.messages] == [["alice@acme.example"], [JOSE]]


def test_an_email_that_can_never_go_fails_alone_and_the_rest_are_sent(
    factory, make_settings, sink_for
):
    # Given a server that takes ASCII addresses only, and José's email between two others
    sink = sink_for(smtputf8=False)
    settings = make_settings(smtp={"host": sink.host, "port": sink.port, "security": "none"})
    ids = queue(factory, "alice@acme.example", JOSE, "bob@acme.example")
    # When the outbox is delivered
    result = delivery.deliver(factory, settings, ids)
    # Then José's fails for good, saying why, and the others are sent
    assert result.failed == [ids[1]] and result.sent == [ids[0], ids[2]]
    [first, jose, last] = states(factory)
    assert first == ("sent", None) and last == ("sent", None)
    assert jose[0] == "failed" and "SMTPUTF8" in (jose[1] or "")
    assert [m.rcpt_tos for m in sink.messages] == [["alice@acme.example"], ["bob@acme.example"]]

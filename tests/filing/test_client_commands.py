"""Clients help themselves by email: STATUS, HOURS and STATEMENT in a new email are
answered from what is stored, only to a known contact whose mail our server vouches for,
within the hourly cap, and never open a request."""

from __future__ import annotations

import email
from email.policy import default

import pytest
import sqlalchemy as sa

from intake.billing import service as billing
from intake.billing.statement import Period
from intake.db import utcnow
from intake.filing.client_commands import Command, read_command
from intake.mail.models import Filing
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request
from tests.factories import add_example_clients, october_work, work
from tests.mailbuilder import message
from tests.pipeline import deliver


@pytest.mark.parametrize(
    ("subject", "text", "command"),
    [
        ("", "STATUS\n", Command("status")),
        ("hi", "  status. \n\n-- \nAlice Smith\nAcme Ltd\n", Command("status")),
        ("HOURS", "", Command("hours")),
        ("", "Statement 2026-10", Command("statement", "2026-10")),
        ("", "STATEMENT  2026-10\n", Command("statement", "2026-10")),
        ("Status", "What is the status of the export?", None),
        ("", "STATUS\nand can you add a banner?", None),
        ("", "statement october", None),
        ("", "STATUS of REQ-1001", None),
    ],
)
def test_a_command_is_the_whole_new_text_or_the_subject_of_an_empty_email(subject, text, command):
    assert read_command(subject, text) == command


def answers(session, outcome) -> dict[str, email.message.EmailMessage]:
    rows = session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.id.in_(outcome.outbound_ids))
    )
    return {row.kind: email.message_from_bytes(row.raw, policy=default) for row in rows}


def text(mail) -> str:
    return mail.get_body(("plain",)).get_content()


def test_status_lists_the_clients_open_requests_and_opens_none(session, settings):
    add_example_clients(session)
    deliver(session, settings, message(subject="Could you add an export?", body="An export?\n"))
    before = session.scalar(sa.select(sa.func.count()).select_from(Request))
    outcome = deliver(session, settings, message(subject="status", body="STATUS\n"))
    assert outcome.filing is Filing.COMMAND and outcome.request_ref is None
    assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == before
    [(kind, mail)] = answers(session, outcome).items()
    assert kind == "client_status" and mail["To"] == "alice@acme.example"
    body = text(mail)
    assert body.startswith("Hello Alice,") and "REQ-1001  Could you add an export?" in body
    assert mail["Auto-Submitted"] == "auto-replied"


def test_hours_gives_the_month_so_far(session, settings):
    add_example_clients(session)
    today = utcnow().astimezone(settings.zone).date()
    work(session, "acme", "CSV export", "feature", quoted="3", chargeable="0",
         logged=(("2", today),))  # fmt: skip
    outcome = deliver(session, settings, message(subject="", body="hours"))
    body = text(answers(session, outcome)["client_hours"])
    assert "Included hours:  2 h used of 5 h, 3 h left" in body
    assert "Billed so far:   0 h, $1,000.00 (plan fee included)" in body


def test_statement_goes_again_to_the_billing_addresses_only(session, settings):
    add_example_clients(session)
    october_work(session)
    billing.bill(session, settings, Period(2026, 10))
    outcome = deliver(session, settings, message(subject="", body="STATEMENT 2026-10"))
    sent = answers(session, outcome)
    assert sent["statement"]["To"] == "accounts@acme.example"
    told = text(sent["client_statement"])
    assert sent["client_statement"]["To"] == "alice@acme.example"
    assert "statement for 2026-10 again, to accounts@acme.example" in told
    # A month never billed is said to have none, and nothing is billed for it
    outcome = deliver(session, settings, message(subject="", body="STATEMENT 2026-09"))
    sent = answers(session, outcome)
    assert set(sent) == {"client_statement"} and "there is no statement for September" in text(
        sent["client_statement"]
    )


def test_a_command_our_server_did_not_vouch_for_is_held_and_answered_to_nobody(session, settings):
    add_example_clients(session)
    outcome = deliver(session, settings, message(subject="", body="STATUS", headers={}))
    assert outcome.filing is Filing.HELD and "not authenticated" in outcome.reason
    assert "client_status" not in answers(session, outcome)


def test_a_stranger_saying_status_learns_nothing(session, settings):
    add_example_clients(session)
    outcome = deliver(
        session, settings, message(sender="mallory@elsewhere.example", subject="", body="STATUS")
    )
    assert outcome.filing is Filing.HELD
    assert "client_status" not in answers(session, outcome)


def test_commands_stop_at_the_hourly_cap(session, make_settings, db_url):
    add_example_clients(session)
    capped = make_settings(database_url=db_url, replies={"max_automatic_per_hour": 2})
    kinds = []
    for _ in range(3):
        outcome = deliver(session, capped, message(subject="", body="STATUS"))
        kinds.append((outcome.filing, tuple(answers(session, outcome))))
    assert kinds[:2] == [(Filing.COMMAND, ("client_status",))] * 2
    assert kinds[2] == (Filing.COMMAND, ())

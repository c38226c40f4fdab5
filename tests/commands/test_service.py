"""Staff replies by email: commands applied together or not at all, the rest relayed to
the client, and a receipt to the sender."""

from __future__ import annotations

import email
from decimal import Decimal
from email.policy import default
from pathlib import Path

import pytest
import sqlalchemy as sa

from intake.billing.models import TimeEntry
from intake.classification.examples import corrections_toml
from intake.classification.models import LabelledExample
from intake.clients.models import Contact
from intake.clients.service import import_clients, read_clients_file
from intake.mail.models import Filing, InboundMessage, OutboundMessage
from intake.requests.models import Request
from intake.requests.states import RequestType, Severity, Status
from tests.mailbuilder import STAFF_AUTH, message
from tests.pipeline import deliver

CLIENTS = Path(__file__).parents[2] / "config" / "clients.example.toml"
PLANS = frozenset({"none", "basic", "professional", "premium"})


def staff(text: str) -> bytes:
    return message(
        sender="dana@agency.example",
        name="Dana",
        subject="Re: [REQ-1001] x",
        body=text,
        headers=STAFF_AUTH,
    )


def sent(session, outcome) -> dict[str, OutboundMessage]:
    rows = session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.id.in_(outcome.outbound_ids))
    )
    return {row.kind: row for row in rows}


@pytest.fixture
def bug(session, settings) -> Request:
    """Acme's critical bug, free under their plan: approved at once."""
    import_clients(session, read_clients_file(CLIENTS, PLANS))
    deliver(session, settings, message(subject="Site down", body="The site is down!\n"))
    request = session.scalar(sa.select(Request))
    assert request.status is Status.APPROVED
    return request


def test_corrections_and_a_relay(session, settings, bug):
    outcome = deliver(
        session, settings, staff("#type feature\n#severity minor\n\nHi Alice, we are on it.\n")
    )
    assert outcome.filing is Filing.FOLLOW_UP
    assert (bug.type, bug.severity) == (RequestType.FEATURE, Severity.MINOR)
    corrections = [e.detail for e in bug.events if e.kind == "correction"]
    assert corrections == ["type bug -> feature", "severity critical -> minor"]
    mails = sent(session, outcome)
    relay = mails["staff_relay"]
    assert relay.recipients == ["alice@acme.example"] and not relay.automatic
    parsed = email.message_from_bytes(relay.raw, policy=default)
    assert "Hi Alice, we are on it." in parsed.get_body(("plain",)).get_content()
    assert parsed["Auto-Submitted"] is None and "[REQ-1001]" in parsed["Subject"]
    assert mails["staff_receipt"].recipients == ["dana@agency.example"]
    assert "Done" in mails["staff_receipt"].subject


def test_logging_time_and_closing(session, settings, bug):
    deliver(
        session,
        settings,
        staff("#log 1:30 2026-11-02 restarted the workers\n#status done\n#internal\n"),
    )
    [entry] = session.scalars(sa.select(TimeEntry)).all()
    assert (entry.hours, str(entry.work_date), entry.note) == (
        Decimal("1.5"),
        "2026-11-02",
        "restarted the workers",
    )
    assert bug.status is Status.DONE and bug.closed_at is not None


def test_a_bad_command_applies_nothing_and_says_what_was_wrong(session, settings, bug):
    outcome = deliver(session, settings, staff("#type feature\n#qoute 6h\nHello Alice\n"))
    assert bug.type is RequestType.BUG
    mails = sent(session, outcome)
    assert set(mails) == {"staff_receipt"}
    receipt = mails["staff_receipt"]
    assert "Nothing applied" in receipt.subject


def test_a_forbidden_transition_applies_nothing(session, settings, bug):
    deliver(session, settings, staff("#status done\n"))
    outcome = deliver(session, settings, staff("#type feature\n#decline\n"))
    assert bug.status is Status.DONE and bug.type is RequestType.BUG
    assert set(sent(session, outcome)) == {"staff_receipt"}
    refused = [e.detail for e in bug.events if e.kind == "commands_refused"]
    assert refused and "cannot go from done to declined" in refused[0]


def test_staff_approve_on_behalf_needs_the_po_the_client_requires(session, settings):
    import_clients(session, read_clients_file(CLIENTS, PLANS))
    deliver(
        session,
        settings,
        message(
            sender="zoe@zed.example",
            subject="Could you add an export?",
            body="Could you add a CSV export?\n",
        ),
    )
    request = session.scalar(sa.select(Request))
    assert request.status is Status.QUOTED
    deliver(session, settings, staff("#approve\n"))
    assert request.status is Status.QUOTED
    deliver(session, settings, staff("#approve PO-4471\n#internal\n"))
    assert request.status is Status.APPROVED


def test_a_new_quote_supersedes_the_waiting_one_and_goes_to_the_client(session, settings):
    from intake.quotes.models import Quote

    import_clients(session, read_clients_file(CLIENTS, PLANS))
    deliver(
        session,
        settings,
        message(
            sender="zoe@zed.example",
            subject="Could you add an export?",
            body="Could you add a CSV export?\n",
        ),
    )
    request = session.scalar(sa.select(Request))
    outcome = deliver(session, settings, staff("#quote 6h due 2026-12-05\nIt is a bigger job.\n"))
    quotes = session.scalars(sa.select(Quote).order_by(Quote.version)).all()
    assert [(q.version, q.status) for q in quotes] == [(1, "superseded"), (2, "pending")]
    assert (quotes[1].hours, quotes[1].amount, str(quotes[1].complete_by)) == (
        Decimal(6),
        Decimal("900.00"),
        "2026-12-05",
    )
    assert request.status is Status.QUOTED
    relay = email.message_from_bytes(sent(session, outcome)["staff_relay"].raw, policy=default)
    text = relay.get_body(("plain",)).get_content()
    assert "It is a bigger job." in text and "$900.00" in text and "revised quote" in text
    assert relay["Reply-To"] == f"support+{quotes[1].token}@agency.example"


def test_a_new_quote_on_free_work_under_way_keeps_it_going(session, settings, bug):
    deliver(session, settings, staff("#status in_progress\n#internal\n"))
    deliver(session, settings, staff("#quote 5h\n#internal\n"))
    assert bug.status is Status.IN_PROGRESS


def test_a_held_message_is_filed_under_a_client_and_answered(session, settings):
    # Given a stranger's message, held for triage with no reply
    import_clients(session, read_clients_file(CLIENTS, PLANS))
    deliver(
        session,
        settings,
        message(sender="bob@gmail.example", subject="Checkout broken", body="Checkout fails.\n"),
    )
    request = session.scalar(sa.select(Request))
    assert request.status is Status.HELD and request.client is None
    # When staff file it under Acme
    outcome = deliver(session, settings, staff("#client acme\n"))
    # Then it is Acme's request, quoted to the sender, who is now a contact who may not approve
    assert request.client.slug == "acme" and request.status is Status.APPROVED
    assert request.hold_reason is None
    mails = sent(session, outcome)
    assert mails["no_charge"].recipients == ["bob@gmail.example"]
    assert (
        "filed under acme"
        in email.message_from_bytes(mails["staff_receipt"].raw, policy=default)
        .get_body(("plain",))
        .get_content()
    )
    contact = session.scalar(sa.select(Contact).where(Contact.email == "bob@gmail.example"))
    assert contact.client.slug == "acme" and not contact.can_approve
    filings = session.scalars(sa.select(InboundMessage.filing).order_by(InboundMessage.id))
    assert list(filings) == [Filing.REQUEST, Filing.FOLLOW_UP]


@pytest.mark.parametrize(
    ("command", "reason"),
    [("#client nobody", "no client 'nobody'"), ("#client acme", "is not held")],
)
def test_client_is_refused_for_unknown_clients_and_requests_not_held(
    session, settings, bug, command, reason
):
    if "nobody" in command:
        bug.status = Status.HELD
    outcome = deliver(session, settings, staff(command + "\n"))
    receipt = sent(session, outcome)["staff_receipt"]
    assert "Nothing applied" in receipt.subject
    body = email.message_from_bytes(receipt.raw, policy=default).get_body(("plain",))
    assert reason in body.get_content()


def test_a_correction_is_kept_as_a_labelled_example(session, settings, bug):
    deliver(session, settings, staff("#severity major\n#internal\n"))
    deliver(session, settings, staff("#type question\n#internal\n"))
    [example] = session.scalars(sa.select(LabelledExample)).all()
    assert (example.subject, example.type, example.severity) == ("Site down", "question", "major")
    assert example.text.strip() == "The site is down!"
    assert corrections_toml(session).count("[[request]]") == 1


def test_an_unauthenticated_staff_message_is_held_and_applies_nothing(session, settings, bug):
    # Given a message that says it is from Dana, which our server could not authenticate
    forged = message(
        sender="dana@agency.example",
        subject="Re: [REQ-1001] x",
        body="#status done\n\nAll fixed, goodbye.\n",
        headers={
            "Authentication-Results": "mx.agency.example; dmarc=fail header.from=agency.example"
        },
    )
    outcome = deliver(session, settings, forged)
    # Then nothing is applied or relayed; staff are told why
    assert outcome.filing is Filing.HELD and "not authenticated" in outcome.reason
    assert bug.status is Status.APPROVED
    mails = sent(session, outcome)
    assert set(mails) == {"staff_client_reply"}
    assert mails["staff_client_reply"].recipients == ["dana@agency.example"]


def test_filing_a_held_message_is_a_change_by_staff_from_their_message(session, settings):
    # Given a stranger's message, held for triage
    import_clients(session, read_clients_file(CLIENTS, PLANS))
    held = deliver(
        session,
        settings,
        message(sender="bob@gmail.example", subject="Checkout broken", body="Checkout fails.\n"),
    )
    request = session.scalar(sa.select(Request))
    before = len(request.events)
    # When Dana files it under Acme
    outcome = deliver(session, settings, staff("#client acme\n"))
    assert held is not None and outcome is not None
    # Then the move out of held is Dana's and names her message
    [filed] = [e for e in request.events if e.from_status is Status.HELD]
    assert (filed.actor, filed.to_status, filed.inbound_id) == (
        "dana@agency.example",
        Status.NEW,
        outcome.inbound_id,
    )
    # And the classification and quote that follow name the message they read, Bob's
    later = request.events[before:]
    assert all(e.inbound_id is not None for e in later)
    by_intake = {e.inbound_id for e in later if e.actor == "intake"}
    assert [e.kind for e in later if e.actor == "intake"] == ["classified", "status"]
    assert by_intake == {held.inbound_id}


@pytest.mark.parametrize(
    "text",
    [
        "#type feature\n#severity minor\n\nHi Alice, we are on it.\n",
        "#log 1h restarted the workers\n#status done\n#internal\n",
        "#note checked the logs\n#status waiting_on_client\n\nWhich page do you see?\n",
        "#status in_progress\n#quote 5h\n#internal\n",
        "#decline\n",
        "#qoute 5h\n",
    ],
)
def test_every_change_a_staff_message_makes_names_that_message(session, settings, bug, text):
    # Given Acme's approved bug and its history so far
    before = len(bug.events)
    # When Dana replies with commands (good ones, or a bad one that is refused)
    outcome = deliver(session, settings, staff(text))
    assert outcome is not None
    # Then each event her message caused is hers, from that message
    caused = bug.events[before:]
    assert caused and {(e.actor, e.inbound_id) for e in caused} == {
        ("dana@agency.example", outcome.inbound_id)
    }


def test_approval_on_the_client_s_behalf_names_the_staff_message(session, settings):
    # Given Zed's quoted feature (Zed requires a PO)
    import_clients(session, read_clients_file(CLIENTS, PLANS))
    deliver(
        session,
        settings,
        message(sender="zoe@zed.example", subject="An export", body="Could you add an export?\n"),
    )
    request = session.scalar(sa.select(Request))
    # When Dana approves it for them with their PO
    outcome = deliver(session, settings, staff("#approve PO-4471\n#internal\n"))
    assert outcome is not None
    # Then the move to approved is Dana's, from her message
    [approved] = [e for e in request.events if e.to_status is Status.APPROVED]
    assert (approved.actor, approved.inbound_id) == ("dana@agency.example", outcome.inbound_id)

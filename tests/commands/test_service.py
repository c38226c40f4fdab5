"""Staff replies by email: commands applied together or not at all, the rest relayed to
the client, and a receipt to the sender."""

from __future__ import annotations

import email
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from email.policy import default

import pytest
import sqlalchemy as sa

from intake.accounts.models import Checkin
from intake.classification.examples import corrections_toml
from intake.classification.models import LabelledExample
from intake.clients.models import Contact
from intake.commands import service
from intake.mail.models import Filing, InboundMessage
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request, TimeEntry
from intake.requests.states import RequestType, Severity, Status
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, message
from tests.pipeline import deliver


def staff(text: str, written: datetime | None = None) -> bytes:
    """Dana's reply in REQ-1001's thread; written (its Date) on 2 Nov 2026 unless given."""
    return message(
        sender="dana@agency.example",
        name="Dana",
        subject="Re: [REQ-1001] x",
        body=text,
        headers=STAFF_AUTH,
        date=written,
    )


def receipt_text(session, outcome) -> str:
    receipt = sent(session, outcome)["staff_receipt"]
    body = email.message_from_bytes(receipt.raw, policy=default).get_body(("plain",))
    return f"{receipt.subject}\n{body.get_content()}"


@pytest.fixture
def clock(monkeypatch) -> Callable[[datetime], None]:
    """Stop the clock the staff commands read at the given moment."""

    def stop(moment: datetime) -> None:
        monkeypatch.setattr(service, "utcnow", lambda: moment)

    return stop


def sent(session, outcome) -> dict[str, OutboundMessage]:
    rows = session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.id.in_(outcome.outbound_ids))
    )
    return {row.kind: row for row in rows}


@pytest.fixture
def bug(session, settings) -> Request:
    """Acme's critical bug, free under their plan: approved at once."""
    raw = message(subject="Site down", body="The site is down!\n")
    return first_request(session, settings, raw, Status.APPROVED)


def first_request(session, settings, raw: bytes, status: Status) -> Request:
    """The example clients, and the request ``raw`` opens, checked to be in ``status``."""
    add_example_clients(session)
    deliver(session, settings, raw)
    request = session.scalar(sa.select(Request))
    assert request.status is status
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


def test_a_reply_opening_with_thanks_relays_what_staff_wrote_and_never_the_quoted_notice(
    session, settings, bug
):
    # Given Dana answers the staff notice with a "Thanks!" on top and the notice quoted below
    text = (
        "Thanks!\n\nWe are on it, a fix goes out tonight.\n\nDana\n\n"
        "On Mon, 2 Nov 2026 at 10:16, Example Agency <support@agency.example> wrote:\n"
        "> New request REQ-1001: Site down\n"
        '> Classified bug / critical (rule "down", score 0.92)\n'
    )
    # When her reply is filed
    outcome = deliver(session, settings, staff(text))
    # Then Alice gets what Dana wrote, and nothing of the internal notice
    relay = email.message_from_bytes(sent(session, outcome)["staff_relay"].raw, policy=default)
    body = relay.get_body(("plain",)).get_content()
    assert "We are on it, a fix goes out tonight." in body
    assert "score 0.92" not in body and "Classified" not in body


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


def test_a_check_in_is_recorded_in_a_reply_to_any_of_the_clients_requests(
    session, settings, bug, clock
):
    clock(datetime(2026, 11, 4, 12, 0, tzinfo=UTC))
    outcome = deliver(session, settings, staff("#checkin done 2026-11-02\n#internal\n"))
    [held] = session.scalars(sa.select(Checkin)).all()
    assert (held.client_id, held.held_on, held.recorded_by) == (
        bug.client_id,
        date(2026, 11, 2),
        "dana@agency.example",
    )
    # Acme is on Professional: the next is a quarter on
    assert "check-in with Acme Ltd on 2026-11-02 recorded; the next is due 2027-02-02" in (
        receipt_text(session, outcome)
    )
    later = deliver(session, settings, staff("#checkin done 2026-11-30\n#internal\n"))
    assert "2026-11-30 is in the future" in receipt_text(session, later)
    assert len(session.scalars(sa.select(Checkin)).all()) == 1


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
    add_example_clients(session)
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
    add_example_clients(session)
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


def test_a_new_quote_counts_the_included_hours_its_own_earlier_quote_took_as_free_again(
    session, settings
):
    # Given Acme (Professional: 5 included hours a month) with an export quoted as included
    add_example_clients(session)
    deliver(
        session,
        settings,
        message(subject="Could you add an export?", body="Could you add a CSV export?\n"),
    )
    [first] = session.scalars(sa.select(Quote)).all()
    assert first.status == "included" and first.chargeable_hours == 0 < first.hours <= 5
    # When Dana quotes it again at 8 hours
    deliver(session, settings, staff("#quote 8h\n#internal\n"))
    # Then the new quote uses all 5 included hours (the first one's are not counted twice)
    latest = session.scalars(sa.select(Quote).order_by(Quote.version.desc())).first()
    assert (latest.version, latest.hours, latest.chargeable_hours, latest.amount) == (
        2,
        Decimal(8),
        Decimal(3),
        Decimal("450.00"),
    )


def test_a_smaller_new_quote_gives_back_the_included_hours_it_no_longer_needs(session, settings):
    # Given Acme's export quoted as included, then quoted again by Dana at 1 hour
    add_example_clients(session)
    ask = "Could you add a CSV export?\n"
    deliver(session, settings, message(subject="Could you add an export?", body=ask))
    deliver(session, settings, staff("#quote 1h\n#internal\n"))
    # When Acme asks for another feature
    deliver(
        session,
        settings,
        message(subject="Could you add a PDF export?", body=ask, message_id="pdf@acme.example"),
    )
    # Then 4 of the month's 5 included hours are left for it, not 5 - 1 - the first quote's
    quotes = session.scalars(sa.select(Quote).order_by(Quote.id)).all()
    assert [(q.version, q.status) for q in quotes][:2] == [(1, "included"), (2, "included")]
    other = quotes[2]
    assert other.chargeable_hours == max(Decimal(0), other.hours - 4)


def test_a_new_quote_days_on_is_promised_done_counting_from_itself(session, settings, bug, clock):
    # Given Acme's bug, opened on 2 November, and Dana re-quoting it at 30 hours on the 16th
    bug.opened_at = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    clock(datetime(2026, 11, 16, 9, 0, tzinfo=UTC))
    deliver(session, settings, staff("#quote 30h\n#internal\n"))
    # Then 30 hours at 6 a day are promised from Monday the 16th: by Friday the 20th, not
    # due that very Monday
    latest = session.scalars(sa.select(Quote).order_by(Quote.version.desc())).first()
    assert settings.replies.daily_capacity_hours == 6
    assert latest.complete_by == date(2026, 11, 20)


def test_commands_below_a_signature_separator_still_count_and_keep_the_reply_internal(
    session, settings, bug
):
    # Given Dana's reply with her "-- " signature above her commands
    text = "Fixed. Our ops guy forgot again.\n\n-- \nDana\n#status in_progress\n#internal\n"
    # When it is filed
    outcome = deliver(session, settings, staff(text))
    # Then the commands apply and nothing of it goes to the client
    assert bug.status is Status.IN_PROGRESS
    assert "staff_relay" not in sent(session, outcome)


@pytest.mark.parametrize("after", ["\nDana\n", "\n---\n", "\n\u200b\n", "\n-- \nDana\n"])
def test_commands_followed_only_by_a_name_send_the_client_nothing(session, settings, bug, after):
    # Given Dana's commands followed by nothing for the client but her name or a rule
    outcome = deliver(session, settings, staff(f"#status in_progress\n{after}"))
    # Then the commands apply, and no email of just "Dana" goes to the client
    assert bug.status is Status.IN_PROGRESS
    assert "staff_relay" not in sent(session, outcome)


def test_a_new_quote_on_free_work_under_way_keeps_it_going(session, settings, bug):
    deliver(session, settings, staff("#status in_progress\n#internal\n"))
    deliver(session, settings, staff("#quote 5h\n#internal\n"))
    assert bug.status is Status.IN_PROGRESS


def test_a_held_message_is_filed_under_a_client_and_answered(session, settings):
    # Given a stranger's message, held for triage with no reply
    add_example_clients(session)
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
    add_example_clients(session)
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
    add_example_clients(session)
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


# ---- dates in #log and #quote ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "day", "hours"),
    [
        ("#log 2h fixed it tonight", "2026-11-30", "2"),
        # a figure and its unit as two words: an hour and a half, not 90 hours
        ("#log 90 min yesterday call", "2026-11-29", "1.5"),
    ],
)
def test_a_log_is_dated_on_the_agency_s_day_not_the_utc_one(
    session, make_settings, db_url, bug, clock, line, day, hours
):
    # Given an agency in New York, where 01:00 UTC on 1 December is 20:00 on 30 November
    new_york = make_settings(database_url=db_url, timezone="America/New_York")
    clock(datetime(2026, 12, 1, 1, 5, tzinfo=UTC))
    # When Dana logs an evening's work without a date, or yesterday's
    written = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    outcome = deliver(session, new_york, staff(f"{line}\n#internal\n", written))
    # Then it is November's work, on November's statement
    [entry] = session.scalars(sa.select(TimeEntry)).all()
    assert (str(entry.work_date), entry.hours) == (day, Decimal(hours))
    assert f"{hours}h logged for {day}" in receipt_text(session, outcome)


def test_the_agency_s_today_bounds_a_log_date(session, make_settings, db_url, bug, clock):
    # Given the same evening in New York
    new_york = make_settings(database_url=db_url, timezone="America/New_York")
    clock(datetime(2026, 12, 1, 1, 5, tzinfo=UTC))
    # When Dana logs hours for 1 December, already the date in UTC but not yet in New York
    written = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)
    outcome = deliver(session, new_york, staff("#log 2h 2026-12-01 tonight\n", written))
    # Then nothing is logged: that day has not begun for the agency
    assert session.scalars(sa.select(TimeEntry)).all() == []
    text = receipt_text(session, outcome)
    assert "Nothing applied" in text
    assert "2026-12-01 is in the future (today is 2026-11-30 in America/New_York)" in text


def test_a_message_dated_after_the_clock_is_read_at_the_clock(session, settings, bug, clock):
    # Given the clock at 20 November, and Dana's mail program sure it is 2030
    clock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    written = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    # When she logs hours without a date
    deliver(session, settings, staff("#log 1h checked the logs\n#internal\n", written))
    # Then they are for the clock's day, not her mail program's
    [entry] = session.scalars(sa.select(TimeEntry)).all()
    assert str(entry.work_date) == "2026-11-20"


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("#log 1.5h 2099-01-01 typo", "2099-01-01 is in the future"),
        (
            "#log 1h 2026-11-03",
            "2026-11-03 is in the future (today is 2026-11-02 in Europe/London)",
        ),
        ("#log 4h 2016-11-10 typo", "2016-11-10 is before REQ-1001 was opened on 2026-11-02"),
        ("#log 1h 2026-11-01", "2026-11-01 is before REQ-1001 was opened on 2026-11-02"),
        ("#log 1h yesterday", "2026-11-01 is before REQ-1001 was opened on 2026-11-02"),
    ],
)
def test_a_log_dated_after_today_or_before_the_request_is_refused(
    session, settings, bug, line, reason
):
    # Given Acme's bug, opened on 2 November, and Dana writing on 2 November
    # When she logs hours for a day after today or before the request existed
    outcome = deliver(session, settings, staff(f"{line}\n#internal\n"))
    # Then nothing is logged, and her receipt says why
    assert session.scalars(sa.select(TimeEntry)).all() == []
    text = receipt_text(session, outcome)
    assert "Nothing applied" in text and reason in text
    refused = [e.detail for e in bug.events if e.kind == "commands_refused"]
    assert refused and reason in refused[0]


def test_a_good_note_with_a_bad_log_applies_neither(session, settings, bug):
    # Given Acme's bug
    before = [e.kind for e in bug.events]
    # When Dana adds a note, logs hours with a mistyped year, and writes to Alice
    outcome = deliver(
        session,
        settings,
        staff("#note checked the logs\n#log 2h 2099-11-02 typo\n\nHi Alice, it is fixed.\n"),
    )
    # Then neither the note nor the hours are kept, Alice gets nothing, and Dana is told
    assert session.scalars(sa.select(TimeEntry)).all() == []
    assert [e.kind for e in bug.events] == [*before, "staff_reply", "commands_refused"]
    assert set(sent(session, outcome)) == {"staff_receipt"}
    text = receipt_text(session, outcome)
    assert "Nothing applied" in text and "2099-11-02 is in the future" in text


@pytest.fixture
def export(session, settings) -> Request:
    """Zed's CSV export, quoted automatically and waiting for their approval."""
    raw = message(sender="zoe@zed.example", subject="An export", body="Could you add an export?\n")
    return first_request(session, settings, raw, Status.QUOTED)


def test_a_quote_due_in_the_past_is_refused_and_not_sent(session, settings, export):
    # Given Zed's quoted export, and Dana writing on 2 November
    # When she re-quotes it due on a day already past, with a word for Zoe
    outcome = deliver(
        session, settings, staff("#quote 6h due 2020-01-01\nHere is the revised quote.\n")
    )
    # Then the waiting quote stands, Zoe gets nothing, and Dana is told why
    quotes = session.scalars(sa.select(Quote)).all()
    assert [(q.version, q.status) for q in quotes] == [(1, "pending")]
    assert set(sent(session, outcome)) == {"staff_receipt"}
    text = receipt_text(session, outcome)
    assert "Nothing applied" in text
    assert "due 2020-01-01 is in the past (today is 2026-11-02 in Europe/London)" in text


def test_a_quote_may_be_due_today(session, settings, export):
    # Given Zed's quoted export
    # When Dana re-quotes it due today
    deliver(session, settings, staff("#quote 1h due 2026-11-02\n#internal\n"))
    # Then the new quote is due today
    latest = session.scalar(sa.select(Quote).order_by(Quote.version.desc()))
    assert (latest.version, str(latest.complete_by)) == (2, "2026-11-02")


def test_staff_take_a_request_and_hand_it_on_by_email(session, make_settings, db_url, bug):
    # Given two staff members
    settings = make_settings(
        database_url=db_url,
        staff=[
            {"email": "dana@agency.example", "name": "Dana Reyes", "lead": True},
            {"email": "sam@agency.example", "name": "Sam Ode"},
        ],
    )
    # When Dana takes the request, then hands it to Sam by his first name
    deliver(session, settings, staff("#assign me\n#internal"))
    assert bug.owner == "dana@agency.example"
    outcome = deliver(session, settings, staff("#assign sam\n#internal"))
    # Then Sam owns it, the history says who had it, and Dana's receipt says so
    assert bug.owner == "sam@agency.example"
    assigned = [e.detail for e in bug.events if e.kind == "assigned"]
    assert assigned == [
        "owner dana@agency.example (was nobody)",
        "owner sam@agency.example (was dana@agency.example)",
    ]
    assert "REQ-1001 assigned to sam@agency.example" in receipt_text(session, outcome)


def test_assigning_someone_who_is_no_staff_applies_nothing(session, settings, bug):
    outcome = deliver(session, settings, staff("#assign carol\n#status in_progress"))
    assert bug.owner is None and bug.status is Status.APPROVED
    assert "'carol' names no one staff member" in receipt_text(session, outcome)


def test_spam_closes_held_mail_and_holds_the_senders_next_mail_quietly(session, settings):
    add_example_clients(session)
    # Given a stranger's offer, held for staff
    offer = deliver(session, settings, message(sender="seo@offers.example", subject="Rank #1"))
    assert offer.filing is Filing.HELD and len(offer.outbound) == 1  # staff were told
    # When Dana answers the notice with #spam
    outcome = deliver(session, settings, staff("#spam"))
    # Then the request is closed, and her receipt says what happens next
    request = session.scalars(sa.select(Request)).one()
    assert request.status is Status.DECLINED
    assert "later mail from seo@offers.example is held without a notice" in receipt_text(
        session, outcome
    )
    # When the same sender writes again
    again = deliver(session, settings, message(sender="seo@offers.example", subject="Rank #1!!"))
    # Then it is held, and nobody is told or answered
    assert again.filing is Filing.HELD and again.outbound == ()
    assert again.reason == "seo@offers.example was marked as spam by dana@agency.example"


def test_spam_is_refused_for_a_clients_request(session, settings, bug):
    outcome = deliver(session, settings, staff("#spam"))
    assert bug.status is Status.APPROVED
    assert "REQ-1001 is not held; #spam closes held mail only" in receipt_text(session, outcome)


def test_held_mail_staff_dealt_with_is_closed_as_done(session, settings):
    add_example_clients(session)
    deliver(session, settings, message(sender="caller@unknown.example", subject="Call me"))
    deliver(session, settings, staff("#status done\n#internal"))
    assert session.scalars(sa.select(Request)).one().status is Status.DONE


def phoned(text: str, headers: dict[str, str] | None = STAFF_AUTH) -> bytes:
    """A new email from Dana to the support address, in no thread."""
    return message(
        sender="dana@agency.example", name="Dana", subject="Call", body=text, headers=headers
    )


def test_staff_open_a_request_for_a_client_from_a_new_email(session, settings):
    add_example_clients(session)
    # When Dana writes down a call and opens it for Acme
    outcome = deliver(
        session,
        settings,
        phoned("#open acme Checkout fails on mobile\nAlice called: the checkout fails on phones."),
    )
    # Then Acme has a request in its main contact's name, quoted and answered to her
    assert outcome.filing is Filing.REQUEST
    request = session.scalars(sa.select(Request)).one()
    assert (request.client.slug, request.contact_email) == ("acme", "alice@acme.example")
    assert request.subject == "Checkout fails on mobile"
    assert any(m.recipients == ["alice@acme.example"] for m in outcome.outbound)
    assert "opened for acme by dana@agency.example" in [e.detail for e in request.events]


@pytest.mark.parametrize(
    ("text", "headers", "why"),
    [
        ("#open acme\nA call.", {}, "staff #open not applied: "),  # not authenticated
        ("#open nobody\nA call.", STAFF_AUTH, "#open: there is no client 'nobody'"),
        ("#open acme\n#quote 6h\nA call.", STAFF_AUTH, "#open stands alone in a new email"),
    ],
)
def test_a_staff_open_that_cannot_apply_is_held_with_the_reason(
    session, settings, text, headers, why
):
    add_example_clients(session)
    outcome = deliver(session, settings, phoned(text, headers))
    assert outcome.filing is Filing.HELD and why in outcome.reason
    assert all(m.recipients == ["dana@agency.example"] for m in outcome.outbound)


def test_held_staff_mail_opened_for_a_client_is_answered_to_its_main_contact(session, settings):
    add_example_clients(session)
    # Given Dana's note of a call, with no command, held as staff mail matching no request
    held = deliver(session, settings, phoned("Alice called: the checkout fails on phones."))
    assert held.filing is Filing.HELD
    # When Dana answers the held notice with #open acme
    deliver(session, settings, staff("#open acme"))
    # Then the request is Acme's, answered to Alice
    request = session.scalars(sa.select(Request)).one()
    assert request.client.slug == "acme" and request.contact_email == "alice@acme.example"
    assert request.status is not Status.HELD


def test_staff_told_of_a_clients_reply_see_who_owns_the_request(session, settings, bug):
    deliver(session, settings, staff("#assign me\n#internal"))
    outcome = deliver(
        session, settings, message(subject="Re: [REQ-1001] Site down", body="Still down.\n")
    )
    notice = sent(session, outcome)["staff_client_reply"]
    body = email.message_from_bytes(notice.raw, policy=default).get_body(("plain",))
    assert "Owner:           dana@agency.example" in body.get_content()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("On it.\n\nDana", True),
        ("On it.\n\n-- \ndana\n", True),
        ("On it.\nBest,\nDana Scully", True),
        ("Dana will call you.", False),
        ("On it.", False),
        ("", False),
    ],
)
def test_a_relay_knows_when_staff_signed_it_themselves(settings, text, expected):
    from intake.commands.answers import signed

    staffed = settings.model_copy(
        update={"staff": (settings.staff[0].model_copy(update={"name": "Dana Scully"}),)}
    )
    assert signed(staffed, "dana@agency.example", text) is expected

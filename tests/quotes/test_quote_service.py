"""Quoting a new request: estimate, price under the plan, SLA times, status and outbox."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from intake.clients.models import Client
from intake.clients.senders import Author, Sender
from intake.mail.parsing import parse
from intake.plans import price_sheet
from intake.quotes.models import Quote
from intake.quotes.pricing import Price
from intake.quotes.service import promised_included_hours, quote_new_request, timeline
from intake.requests import service as requests
from intake.requests.incoming import Incoming
from intake.requests.models import Event, TimeEntry
from intake.requests.states import RequestType, Severity, Status
from tests.factories import add_example_clients
from tests.mailbuilder import message

FEATURE = ("Could you add a CSV export to the admin?", "Could you add a CSV export? Thanks")


@pytest.fixture
def acme(session) -> Client:
    add_example_clients(session)
    return session.scalar(sa.select(Client).where(Client.slug == "acme"))


def quote_for(session, settings, client, subject, text, opened_at=None, quoted_at=None):
    request = requests.open_request(
        session,
        client=client,
        contact_email="alice@acme.example",
        subject=subject,
        inbound=None,
    )
    if opened_at is not None:
        request.opened_at = opened_at
    mail = replace(parse(message(subject=subject, message_id=None)), new_text=text)
    sender = Sender(Author.CONTACT, "alice@acme.example", client)
    asked = Incoming(session, settings, _inbound(session), mail, sender, request)
    sent = quote_new_request(asked, quoted_at=quoted_at or opened_at)
    quote = session.scalar(sa.select(Quote).where(Quote.request_id == request.id))
    return request, quote, sent


def _inbound(session):
    from intake.mail.models import InboundMessage

    row = InboundMessage(message_key=f"k{datetime.now().timestamp()}", mailbox="b", raw=b"", size=0)
    session.add(row)
    session.flush()
    return row


def test_a_feature_uses_the_plans_hours_and_later_ones_pay(session, settings, acme):
    # Acme: professional, 5 included hours, $150/h; a minor feature is estimated at 4 h.
    first, quote, sent = quote_for(session, settings, acme, *FEATURE)
    assert (first.type, first.severity) == (RequestType.FEATURE, Severity.MINOR)
    assert (quote.hours, quote.amount, quote.status) == (Decimal(4), Decimal("0.00"), "included")
    assert first.status is Status.APPROVED
    assert [m.kind for m in sent] == ["no_charge", "staff_new_request"]
    # Those 4 hours are promised: a second feature has 1 included hour left.
    assert promised_included_hours(session, settings, acme) == Decimal(4)
    second, quote, sent = quote_for(session, settings, acme, *FEATURE)
    assert (quote.chargeable_hours, quote.amount, quote.status) == (
        Decimal(3),
        Decimal("450.00"),
        "pending",
    )
    assert second.status is Status.QUOTED and sent[0].kind == "quote"
    assert sent[0].recipients == ["alice@acme.example"]
    assert sent[0].recipient_key == "alice@acme.example"


def test_start_by_counts_the_plans_support_hours_in_the_clients_zone(session, settings, acme):
    # Friday 2026-11-06 16:30 London, a critical bug: professional first response is 2 h of
    # support hours (9-17): 30 minutes on Friday, 90 on Monday -> Monday 10:30 London.
    opened = datetime(2026, 11, 6, 16, 30, tzinfo=UTC)
    request, quote, _ = quote_for(
        session,
        settings,
        acme,
        "Site down",
        "The whole site is down, all users blocked",
        opened_at=opened,
    )
    assert request.severity is Severity.CRITICAL
    assert quote.start_by == datetime(2026, 11, 9, 10, 30, tzinfo=UTC)
    assert quote.complete_by == date(2026, 11, 9)


def test_a_request_quoted_after_its_first_response_was_due_is_promised_a_start_from_now(
    session, settings, acme
):
    # Given a critical bug that reached the mailbox on Friday 2026-11-06 16:30 London, while
    # intake was down, and is only quoted on Monday at 11:00 (its 2 h were up at 10:30)
    opened = datetime(2026, 11, 6, 16, 30, tzinfo=UTC)
    monday = datetime(2026, 11, 9, 11, 0, tzinfo=UTC)
    request, quote, _ = quote_for(
        session, settings, acme, "Site down", "The whole site is down", opened, monday
    )
    # Then the client is promised a start no earlier than the quote itself, and the request
    # keeps its opening time, so its SLA clock shows the breach
    assert request.severity is Severity.CRITICAL
    assert quote.start_by == monday
    assert quote.complete_by == date(2026, 11, 9)
    assert request.opened_at == opened


def test_a_request_quoted_on_a_weekend_is_promised_a_start_when_support_hours_open(
    session, settings, acme
):
    # Given a bug that reached the mailbox on Friday 6 November 10:00 London and is only
    # filed and quoted on Saturday at 11:00, after its first response was due
    friday = datetime(2026, 11, 6, 10, 0, tzinfo=UTC)
    saturday = datetime(2026, 11, 7, 11, 0, tzinfo=UTC)
    _, quote, _ = quote_for(
        session,
        settings,
        acme,
        "Checkout broken",
        "the checkout returns error 500",
        friday,
        saturday,
    )
    # Then the start and the end promised are in Acme's support hours: Monday, not Saturday
    assert quote.start_by == datetime(2026, 11, 9, 9, 0, tzinfo=UTC)
    assert quote.complete_by.weekday() < 5 and quote.complete_by >= date(2026, 11, 9)


def done_before(session, acme, kind: RequestType, *logged: str) -> None:
    """Acme's minor requests of ``kind``, done, each with these hours logged: history."""
    for hours in logged:
        done = requests.open_request(
            session, client=acme, contact_email="alice@acme.example", subject="old", inbound=None
        )
        done.type, done.severity, done.status = kind, Severity.MINOR, Status.DONE
        session.flush()
        session.add(
            TimeEntry(
                request_id=done.id,
                staff_email="dana@agency.example",
                hours=Decimal(hours),
                work_date=date(2026, 10, 1),
            )
        )
    session.flush()


def test_quick_answers_in_the_history_never_make_a_free_estimate(session, settings, acme):
    # Given three earlier questions answered in 5 to 7 minutes
    done_before(session, acme, RequestType.QUESTION, "0.08", "0.1", "0.12")
    # When a new question is estimated from them
    _, quote, _ = quote_for(session, settings, acme, "A question", "How do I reset a password?")
    # Then it is a quarter of an hour, the least an estimate promises, not 0
    assert quote.hours == Decimal("0.25")


def test_history_replaces_the_default_estimate(session, settings, acme):
    done_before(session, acme, RequestType.FEATURE, "1", "3", "9")
    _, quote, _ = quote_for(session, settings, acme, *FEATURE)
    # The median of 1, 3 and 9 hours, where the default would have been 4.
    assert quote.hours == Decimal(3)
    details = session.scalars(sa.select(Event.detail).where(Event.kind == "status")).all()
    assert any("median of 3 of this client's minor features" in d for d in details)


def test_a_client_on_an_unknown_plan_is_held_for_staff(session, settings, acme):
    acme.plan = "gold"
    request, quote, sent = quote_for(session, settings, acme, *FEATURE)
    assert request.status is Status.HELD and quote is None
    assert "gold" in request.hold_reason and [m.kind for m in sent] == ["staff_held"]


def test_before_the_contract_starts_work_is_quoted_as_with_no_plan(session, settings, acme):
    # Given Acme's professional contract starts next month (billing gives no included
    # hours and no free bugs before it)
    acme.since = date(2026, 12, 1)
    opened = datetime(2026, 11, 10, 10, 0, tzinfo=UTC)
    # When a feature (4 h) and a bug are quoted in November
    feature, quote, _ = quote_for(session, settings, acme, *FEATURE, opened_at=opened)
    # Then the feature is priced at the rate, all of it, and waits for approval
    assert (quote.chargeable_hours, quote.amount, quote.status) == (
        Decimal(4),
        Decimal("600.00"),
        "pending",
    )
    assert feature.status is Status.QUOTED
    bug, quote, _ = quote_for(
        session, settings, acme, "Checkout broken", "The checkout is broken.", opened_at=opened
    )
    assert quote.amount > 0 and bug.status is Status.QUOTED
    # And from the month the contract starts, the plan applies
    december = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    _, quote, _ = quote_for(session, settings, acme, *FEATURE, opened_at=december)
    assert (quote.amount, quote.status) == (Decimal("0.00"), "included")


def test_a_start_due_at_closing_time_is_a_start_at_the_next_opening(session, settings, acme):
    # Given Acme (professional: a major bug is answered within 2 support hours, 9-17 London)
    # and a major bug written at 15:00 on Tuesday 2026-12-08: its target falls at 17:00
    opened = datetime(2026, 12, 8, 15, 0, tzinfo=UTC)
    request, quote, _ = quote_for(
        session,
        settings,
        acme,
        "Export broken",
        "The order export fails for some orders and the workaround is slow.",
        opened_at=opened,
    )
    assert request.severity is Severity.MAJOR
    # Then the client is promised a start when support opens on Wednesday, not at closing,
    # and completion no earlier than the estimate's hours after that start
    assert quote.start_by == datetime(2026, 12, 9, 9, 0, tzinfo=UTC)
    assert quote.complete_by >= date(2026, 12, 9)


def test_a_long_job_is_not_promised_done_before_its_hours_fit_after_its_start(
    session, make_settings, db_url, acme
):
    # Given a team that works 12 h a day, and a 12-hour job quoted on Monday 2026-12-07 at
    # 16:00 London, whose start is promised for Tuesday 16:00 (professional, minor: 8
    # support hours: 1 on Monday, 7 on Tuesday)
    busy = make_settings(database_url=db_url, replies={"daily_capacity_hours": "12"})
    request, _, _ = quote_for(session, busy, acme, *FEATURE)
    request.opened_at = datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    plan = price_sheet(busy).plan("professional")
    job = Price(Decimal(12), Decimal(0), Decimal(12), Decimal(150), Decimal("1800.00"))
    start_by, done_by, _ = timeline(busy, acme, plan, request, job, request.opened_at)
    # Then 12 h of capacity a day would say Tuesday, but 12 support hours (9-17) after
    # Tuesday 16:00 run to Thursday 12:00: the promise is Thursday
    assert start_by == datetime(2026, 12, 8, 16, 0, tzinfo=UTC)
    assert done_by == date(2026, 12, 10)


def test_work_is_never_promised_done_before_it_is_promised_started(session, settings, acme):
    # Given a client on no plan (first response: the next business day) and a short
    # question that arrives on a Tuesday night
    acme.plan = "none"
    tuesday_night = datetime(2026, 12, 1, 21, 21, tzinfo=UTC)
    _, quote, _ = quote_for(
        session,
        settings,
        acme,
        "How do I reset a password?",
        "How do I reset a user's password?",
        opened_at=tuesday_night,
    )
    # Then it is to be done no earlier than the day it is to be started
    assert quote.complete_by >= quote.start_by.astimezone(ZoneInfo("Europe/London")).date()

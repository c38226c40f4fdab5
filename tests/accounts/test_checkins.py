"""Check-ins: when each client's is due (a cadence after the last, or after the contract
start), the reminder staff get a week before (once per due date, with what to talk
about), and ``#checkin done [day]`` read from a reply."""

from __future__ import annotations

import email
from datetime import date, timedelta
from email.policy import default

import pytest
import sqlalchemy as sa

from intake.accounts import checkins
from intake.accounts.models import CheckinReminder
from intake.clients.models import Client
from intake.filing.checkins import read_checkin
from intake.outbox.models import OutboundMessage
from intake.plans import price_sheet
from intake.requests.states import RequestType, Status
from tests.factories import SHEET, add_example_clients, add_request, work

TODAY = date(2026, 12, 7)


@pytest.fixture
def clients(session):
    add_example_clients(session)


def client(session, slug):
    return session.scalar(sa.select(Client).where(Client.slug == slug))


def text(message: OutboundMessage) -> str:
    parsed = email.message_from_bytes(message.raw, policy=default)
    return parsed.get_body(("plain",)).get_content()


def test_the_plans_carry_their_check_ins():
    assert {key: plan.checkin for key, plan in SHEET.plans.items()} == {
        "none": None,
        "basic": None,
        "professional": "quarterly",
        "premium": "monthly",
    }


@pytest.mark.parametrize(
    ("day", "months", "expected"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 10, 5), 3, date(2027, 1, 5)),
        (date(2028, 1, 31), 1, date(2028, 2, 29)),
    ],
)
def test_a_cadence_later_is_the_same_day_or_the_months_last(day, months, expected):
    assert checkins.add_months(day, months) == expected


def test_a_check_in_is_due_a_cadence_after_the_last_or_after_the_contract_start(
    session, settings, clients
):
    sheet = price_sheet(settings)
    acme, zed = client(session, "acme"), client(session, "zed")  # Professional; no plan
    assert checkins.due(session, sheet, zed, TODAY) is None
    first = checkins.due(session, sheet, acme, TODAY)
    assert first is not None and (first.since, first.on, first.held_before) == (
        date(2026, 1, 1),
        date(2026, 4, 1),
        False,
    )
    checkins.record(session, acme, date(2026, 10, 5), "dana@agency.example", None)
    after = checkins.due(session, sheet, acme, TODAY)
    assert after is not None and (after.since, after.on, after.held_before) == (
        date(2026, 10, 5),
        date(2027, 1, 5),
        True,
    )


def test_staff_are_reminded_a_week_before_once_with_what_to_talk_about(session, settings, clients):
    acme = client(session, "acme")
    checkins.record(session, acme, date(2026, 10, 5), "dana@agency.example", None)
    # Work since the last check-in, and an open request with a promised date
    work(
        session,
        "acme",
        "CSV export",
        "feature",
        quoted="3",
        chargeable="0",
        logged=(("2.5", date(2026, 11, 3)), ("1", date(2026, 9, 30))),
    )
    add_request(session, "acme", "Checkout slow", type=RequestType.BUG, status=Status.IN_PROGRESS)
    # Eight days before 5 January: nothing; seven days before: one reminder
    assert checkins.remind(session, settings, date(2026, 12, 28)) == []
    [reminder] = checkins.remind(session, settings, date(2026, 12, 29))
    assert reminder.kind == "staff_checkin" and reminder.recipients == ["dana@agency.example"]
    assert reminder.subject == "Check-in with Acme Ltd due Tue 5 Jan 2027"
    body = text(reminder)
    assert "Acme Ltd (Professional plan) is due its quarterly check-in on Tue 5 Jan 2027" in body
    assert "The last was on Mon 5 Oct 2026." in body
    assert "Hours logged:     2.5 h (feature 2.5 h)" in body  # not the hour before it
    assert "REQ-1002  Checkout slow (in progress)" in body
    assert 'reply with "#checkin done"' in body
    # Not again for the same due date, however often the actor runs
    assert checkins.remind(session, settings, date(2026, 12, 30)) == []
    assert checkins.remind(session, settings, date(2027, 1, 9)) == []
    assert [r.outbound_id for r in session.scalars(sa.select(CheckinReminder))] == [reminder.id]


def test_an_overdue_check_in_is_reminded_once_and_says_so(session, settings, clients):
    [reminder] = checkins.remind(session, settings, TODAY)  # due 1 April, never held
    assert reminder.subject == "Check-in with Acme Ltd overdue since Wed 1 Apr 2026"
    assert "None was held yet; Acme Ltd became a client on Thu 1 Jan 2026." in text(reminder)


def test_no_reminder_without_staff_to_tell(session, make_settings, db_url, clients):
    assert checkins.remind(session, make_settings(database_url=db_url, staff=[]), TODAY) == []


@pytest.mark.parametrize(
    ("words", "held_on"),
    [
        ("#checkin done", TODAY),
        ("#checkin done 2026-12-03\n\nGood call, they want a new shop.", date(2026, 12, 3)),
        ("#Checkin Done yesterday", TODAY - timedelta(days=1)),
        ("#checkin done\n#internal", TODAY),
    ],
)
def test_a_check_in_is_read_from_a_reply(words, held_on):
    assert read_checkin(words, TODAY) == (held_on, None)


@pytest.mark.parametrize(
    ("words", "problem"),
    [
        ("Thanks!", "takes #checkin done"),
        ("#checkin maybe", "#checkin takes 'done'"),
        ("#checkin done 3 Dec", "not a date; write YYYY-MM-DD"),
        ("#checkin done 2026-12-24", "is after today"),
        ("#checkin done\n#log 1h call", "not #checkin done, #log 1h call"),
    ],
)
def test_anything_else_in_a_reply_to_a_reminder_records_nothing(words, problem):
    held_on, why = read_checkin(words, TODAY)
    assert held_on is None and why is not None and problem in why

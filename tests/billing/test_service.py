"""Billing a month over the database: the worked example, a month billed once, late
hours as a dated adjustment, approvals that hold across months, and the emails."""

from __future__ import annotations

import csv
import email
import io
from datetime import date, datetime, time
from decimal import Decimal
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
import sqlalchemy as sa

from intake.billing import service as billing
from intake.billing.models import Statement, TimeEntry
from intake.billing.statement import Period
from intake.clients.models import Client
from intake.clients.service import import_clients, read_clients_file
from intake.mail.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request
from intake.requests.states import RequestType, Severity, Status

CLIENTS = Path(__file__).parents[2] / "config" / "clients.example.toml"
PLANS = frozenset({"none", "basic", "professional", "premium"})
OCTOBER, NOVEMBER = Period(2026, 10), Period(2026, 11)
LONDON = ZoneInfo("Europe/London")


def work(
    session,
    slug: str,
    subject: str,
    kind: str,
    *,
    quoted: str | None = None,
    chargeable: str = "0",
    approved: bool = True,
    logged: tuple[tuple[str, date], ...] = (),
) -> Request:
    """A request of ``slug``'s with its quote and the hours logged on it."""
    client = session.scalar(sa.select(Client).where(Client.slug == slug))
    request = Request(
        number=1001 + session.scalar(sa.select(sa.func.count()).select_from(Request)),
        client=client,
        contact_email="someone@example.com",
        subject=subject,
        type=RequestType(kind),
        severity=Severity.MINOR,
        status=Status.IN_PROGRESS,
    )
    session.add(request)
    session.flush()
    if quoted is not None:
        hours, charged = Decimal(quoted), Decimal(chargeable)
        session.add(
            Quote(
                request_id=request.id,
                hours=hours,
                chargeable_hours=charged,
                rate=Decimal("150.00"),
                amount=(charged * 150).quantize(Decimal("0.01")),
                status="approved" if approved else "pending",
                token=f"t{request.number}",
            )
        )
    for hours, day in logged:
        session.add(
            TimeEntry(
                request_id=request.id,
                staff_email="dana@agency.example",
                hours=Decimal(hours),
                work_date=day,
            )
        )
    session.flush()
    return request


@pytest.fixture
def clients(session):
    import_clients(session, read_clients_file(CLIENTS, PLANS))


@pytest.fixture
def october(session, clients):
    """The worked example of the billing rules."""
    work(
        session,
        "acme",
        "CSV export",
        "feature",
        quoted="6",
        chargeable="1",
        logged=(("3", date(2026, 10, 5)), ("4", date(2026, 10, 12))),
    )
    work(session, "acme", "Checkout broken", "bug", quoted="2", logged=(("2", date(2026, 10, 7)),))
    work(
        session,
        "zed",
        "How do I export?",
        "question",
        quoted="2",
        chargeable="2",
        logged=(("1.5", date(2026, 10, 20)),),
    )


def by_client(results):
    return {r.client: r for r in results}


def test_the_worked_example(session, settings, october):
    results = by_client(billing.bill(session, settings, OCTOBER))
    acme, zed = results["acme"], results["zed"]
    assert acme.outcome == "created" and acme.total == Decimal("1150.00")
    assert [(line["kind"], line["hours"], line["amount"]) for line in acme.lines] == [
        ("fee", None, "1000.00"),
        ("included", "5", "0.00"),
        ("charged", "1", "150.00"),
        ("not_charged", "1", "0.00"),
        ("included", "2", "0.00"),
    ]
    assert zed.total == Decimal("225.00") and [line["kind"] for line in zed.lines] == ["charged"]
    assert acme.sent_to == ["accounts@acme.example"] and zed.sent_to == ["buchhaltung@zed.example"]
    # Every entry is now on a statement
    assert session.scalar(sa.select(sa.func.count()).where(TimeEntry.statement_id.is_(None))) == 0


def test_a_month_is_billed_once_and_resent_only_when_asked(session, settings, october):
    billing.bill(session, settings, OCTOBER)
    mails = session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage))
    again = by_client(billing.bill(session, settings, OCTOBER))
    assert {r.outcome for r in again.values()} == {"already billed"}
    assert again["acme"].total == Decimal("1150.00")
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == mails
    assert session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 2
    resent = by_client(billing.bill(session, settings, OCTOBER, client="acme", resend=True))
    assert resent["acme"].outcome == "resent" and len(resent) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == mails + 1


def test_a_dry_run_stores_and_sends_nothing(session, settings, october):
    dry = by_client(billing.bill(session, settings, OCTOBER, dry_run=True))
    assert dry["acme"].outcome == "dry run" and dry["acme"].total == Decimal("1150.00")
    assert session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 0


def test_hours_logged_late_appear_next_month_as_an_adjustment(session, settings, october):
    billing.bill(session, settings, OCTOBER)
    feature = session.scalar(sa.select(Request).where(Request.subject == "CSV export"))
    # A revised quote approves 2 more chargeable hours; 1 h more is logged into October
    session.add(
        Quote(
            request_id=feature.id,
            version=2,
            hours=Decimal("8"),
            chargeable_hours=Decimal("3"),
            rate=Decimal("150.00"),
            amount=Decimal("450.00"),
            status="approved",
            token="t-v2",
        )
    )
    session.add(
        TimeEntry(
            request_id=feature.id,
            staff_email="d@a",
            hours=Decimal("1"),
            work_date=date(2026, 10, 30),
        )
    )
    session.flush()
    november = by_client(billing.bill(session, settings, NOVEMBER))["acme"]
    late = [line for line in november.lines if line["description"].startswith("Adjustment")]
    # October's included hours are used up; 1 h was charged then, the approval now allows 3
    assert [(line["kind"], line["hours"], line["amount"]) for line in late] == [
        ("charged", "1", "150.00")
    ]
    assert "2026-10" in late[0]["description"]
    assert november.total == Decimal("1150.00")
    # October's statement is untouched
    october_acme = session.scalar(
        sa.select(Statement)
        .join(Client)
        .where(Client.slug == "acme", Statement.period == "2026-10")
    )
    assert october_acme.total == Decimal("1150.00") and len(october_acme.lines) == 5


def test_no_fee_before_the_contract_starts_and_nothing_billed_for_nothing(
    session, settings, clients
):
    results = by_client(billing.bill(session, settings, Period(2025, 12)))
    assert {r.outcome for r in results.values()} == {"nothing to bill"}
    assert session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0


def test_an_unapproved_quote_charges_nothing(session, settings, clients):
    work(
        session,
        "zed",
        "New report",
        "feature",
        quoted="4",
        chargeable="4",
        approved=False,
        logged=(("2", date(2026, 10, 3)),),
    )
    zed = by_client(billing.bill(session, settings, OCTOBER))["zed"]
    assert zed.total == Decimal("0.00") and [line["kind"] for line in zed.lines] == ["not_charged"]


def test_the_statement_email_with_csv_and_pdf(session, settings, october):
    [acme] = [r for r in billing.bill(session, settings, OCTOBER) if r.client == "acme"]
    mail = session.get(OutboundMessage, acme.outbound_ids[0])
    parsed = email.message_from_bytes(mail.raw, policy=default)
    assert parsed["To"] == "accounts@acme.example"
    assert parsed["Subject"] == "Your statement for October 2026: $1,150.00"
    text = parsed.get_body(("plain",)).get_content()
    assert "5 h included, 1 h charged, 1 h not charged" in text and "$1,150.00" in text
    files = {a.get_filename(): a.get_payload(decode=True) for a in parsed.iter_attachments()}
    rows = list(csv.DictReader(io.StringIO(files["statement-2026-10.csv"].decode())))
    assert sum(Decimal(r["amount"]) for r in rows if r["kind"] != "total") == Decimal("1150.00")
    assert rows[-1]["amount"] == "1150.00"
    pdf = pypdf.PdfReader(io.BytesIO(files["statement-2026-10.pdf"]))
    pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "statement for October 2026" in pdf_text and "Total: $1,150.00" in pdf_text
    assert "REQ-1001" in pdf_text and "CSV export" in pdf_text


def test_staff_get_a_summary_naming_clients_without_a_billing_address(session, settings, october):
    session.scalar(sa.select(Client).where(Client.slug == "zed")).billing_emails = []
    results = billing.bill(session, settings, OCTOBER)
    summary = billing.staff_summary(session, settings, OCTOBER, results)
    parsed = email.message_from_bytes(summary.raw, policy=default)
    assert "2 clients, $1,375.00 (1 not sent)" in parsed["Subject"]
    assert "zed" in parsed.get_body(("plain",)).get_content()


def test_an_unknown_client_is_a_clear_error(session, settings, clients):
    with pytest.raises(billing.BillingError, match="no client 'nobody'"):
        billing.bill(session, settings, OCTOBER, client="nobody")


def test_late_hours_use_what_was_left_of_their_own_months_included_hours(
    session, settings, clients
):
    # October: 2 of Acme's 5 included hours used
    feature = work(
        session, "acme", "New banner", "feature", quoted="4", logged=(("2", date(2026, 10, 9)),)
    )
    billing.bill(session, settings, OCTOBER)
    # Then 4 more hours are logged into October, after it was billed
    session.add(
        TimeEntry(
            request_id=feature.id,
            staff_email="d@a",
            hours=Decimal("4"),
            work_date=date(2026, 10, 28),
        )
    )
    session.flush()
    november = by_client(billing.bill(session, settings, NOVEMBER))["acme"]
    late = [
        (line["kind"], line["hours"])
        for line in november.lines
        if "Adjustment" in line["description"]
    ]
    # 3 h from October's leftover included hours; the 4th was never approved: not charged
    assert late == [("included", "3"), ("not_charged", "1")]
    assert november.total == Decimal("1000.00")


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 11, 1, 6, 0), Period(2026, 10)),
        (datetime(2026, 11, 1, 23, 59), Period(2026, 10)),
        (datetime(2026, 11, 1, 5, 59), None),
        (datetime(2026, 11, 2, 6, 0), None),
        (datetime(2027, 1, 1, 7, 0), Period(2026, 12)),
    ],
)
def test_the_scheduler_bills_the_previous_month_on_the_first_from_the_set_time(local, expected):
    assert billing.due_period(local.replace(tzinfo=LONDON), time(6, 0)) == expected


def test_a_scheduled_run_is_claimed_once(session):
    assert billing.record_run(session, OCTOBER)
    assert not billing.record_run(session, OCTOBER)
    assert billing.record_run(session, NOVEMBER)

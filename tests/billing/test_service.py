"""Billing a month over the database: the worked example, a month billed once, late
hours as a dated adjustment, approvals that hold across months, and the emails."""

from __future__ import annotations

import csv
import email
import io
from dataclasses import replace
from datetime import UTC, date, datetime, time
from decimal import Decimal
from email.policy import default
from zoneinfo import ZoneInfo

import pypdf
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import settings as examples
from hypothesis import strategies as st

from intake.billing import service as billing
from intake.billing.models import Statement, StatementLine
from intake.billing.statement import Period
from intake.billing.views import statement_context
from intake.clients.models import Client
from intake.clients.service import import_clients
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request, TimeEntry
from intake.requests.states import Status
from tests.factories import add_example_clients, add_request, example_clients, october_work, work

OCTOBER, NOVEMBER = Period(2026, 10), Period(2026, 11)
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def clients(session):
    add_example_clients(session)


@pytest.fixture
def october(session, clients):
    october_work(session)


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


def test_a_month_is_billed_at_the_plan_the_client_had_in_it(session, settings, october):
    # Given Acme, on Professional all October, moved to Premium on 1 November
    acme = session.scalar(sa.select(Client).where(Client.slug == "acme"))
    spec = next(s for s in example_clients() if s.slug == "acme")
    import_clients(session, [replace(spec, plan="premium")], date(2026, 11, 1))
    assert acme.plan == "premium"
    # When October is billed after the change
    results = by_client(billing.bill(session, settings, OCTOBER))
    # Then it is October's plan that is billed: its fee and its 5 included hours
    assert results["acme"].total == Decimal("1150.00")
    assert results["acme"].lines[0] == {**results["acme"].lines[0], "amount": "1000.00"}
    assert "Professional plan, 2026-10" in results["acme"].lines[0]["description"]


def test_the_statement_email_with_csv_and_pdf(session, settings, october):
    [acme] = [r for r in billing.bill(session, settings, OCTOBER) if r.client == "acme"]
    mail = session.get(OutboundMessage, acme.outbound_ids[0])
    parsed = email.message_from_bytes(mail.raw, policy=default)
    assert parsed["To"] == "accounts@acme.example"
    assert parsed["Subject"] == "Invoice INV-00001 for October 2026: $1,150.00"
    text = parsed.get_body(("plain",)).get_content()
    assert (
        "7 h: 5 h from your included hours; 1 h charged as approved; "
        "1 h beyond the approved estimate: not charged"
    ) in text
    assert "2 h: bug fix, covered by your plan" in text and "$1,150.00" in text
    assert "Invoice INV-00001, issued " in text and "Total due: $1,150.00" in text
    files = {a.get_filename(): a.get_payload(decode=True) for a in parsed.iter_attachments()}
    rows = list(csv.DictReader(io.StringIO(files["statement-2026-10.csv"].decode())))
    assert sum(Decimal(r["amount"]) for r in rows if r["kind"] != "total") == Decimal("1150.00")
    assert rows[-1]["amount"] == "1150.00"
    pdf = pypdf.PdfReader(io.BytesIO(files["statement-2026-10.pdf"]))
    pdf_text = "\n".join(page.extract_text() for page in pdf.pages)
    assert "statement for October 2026" in pdf_text and "Total due: $1,150.00" in pdf_text
    assert "Invoice INV-00001" in pdf_text
    assert "REQ-1001" in pdf_text and "CSV export" in pdf_text


def test_the_statement_csv_reads_back_as_sent_in_any_language(session, settings, october):
    # Given October's work with a request whose subject is not plain ASCII
    subject = "Übersicht — Bestellungen exportieren (Größe ±5%)"
    work(session, "zed", subject, "feature", quoted="1", chargeable="1",
         logged=(("1", date(2026, 10, 21)),))  # fmt: skip
    # When the statement is sent and a mail program reads its CSV attachment as text
    [zed] = [r for r in billing.bill(session, settings, OCTOBER) if r.client == "zed"]
    parsed = email.message_from_bytes(
        session.get(OutboundMessage, zed.outbound_ids[0]).raw, policy=default
    )
    [attachment] = [a for a in parsed.iter_attachments() if a.get_content_type() == "text/csv"]
    text = attachment.get_content()
    # Then the attachment says it is UTF-8 and the text is exactly what was written
    assert attachment.get_content_charset() == "utf-8"
    assert text == attachment.get_payload(decode=True).decode("utf-8")
    [row] = [r for r in csv.DictReader(io.StringIO(text)) if subject in r["description"]]
    assert row["amount"] == "150.00"


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


def log(session, request: Request, hours: str, day: date) -> None:
    session.add(
        TimeEntry(request_id=request.id, staff_email="d@a", hours=Decimal(hours), work_date=day)
    )
    session.flush()


def after(period: Period) -> datetime:
    """Noon on the first of the next month: ``period`` is over."""
    return datetime.combine(period.next().first_day, time(12), tzinfo=UTC)


def kinds_hours_amounts(result: billing.Billed) -> list[tuple[str | None, ...]]:
    return [(line["kind"], line["hours"], line["amount"]) for line in result.lines]


def test_an_approval_charged_in_halves_over_two_months_never_exceeds_its_amount(
    session, settings, clients
):
    # Given Zed (no plan) at 155.55 an hour, and a 1 h quote of 155.55 approved
    zed = session.scalar(sa.select(Client).where(Client.slug == "zed"))
    zed.hourly_rate = Decimal("155.55")
    export = work(session, "zed", "Add an export", "feature")
    session.add(
        Quote(
            request_id=export.id,
            hours=Decimal("1"),
            chargeable_hours=Decimal("1"),
            rate=Decimal("155.55"),
            amount=Decimal("155.55"),
            status="approved",
            token="t-export",
        )
    )
    # When 0.5 h logged in October is billed: 77.775, rounded half-up
    log(session, export, "0.5", date(2026, 10, 15))
    october = by_client(billing.bill(session, settings, OCTOBER, now=after(OCTOBER)))["zed"]
    assert kinds_hours_amounts(october) == [("charged", "0.5", "77.78")]
    # And 0.5 h logged in November is billed
    log(session, export, "0.5", date(2026, 11, 15))
    november = by_client(billing.bill(session, settings, NOVEMBER, now=after(NOVEMBER)))["zed"]
    # Then November charges what is left of the approved 155.55: 77.77, not 77.78
    assert kinds_hours_amounts(november) == [("charged", "0.5", "77.77")]
    assert "held to the approved 155.55" in november.lines[0]["description"]
    charged = session.scalar(
        sa.select(sa.func.sum(StatementLine.amount)).where(
            StatementLine.request_id == export.id, StatementLine.kind == "charged"
        )
    )
    assert october.total + november.total == charged == Decimal("155.55")
    # And an hour more in December is shown, not charged
    log(session, export, "1", date(2026, 12, 1))
    december = Period(2026, 12)
    later = by_client(billing.bill(session, settings, december, now=after(december)))["zed"]
    assert kinds_hours_amounts(later) == [("not_charged", "1", "0.00")]


def acme_feature_from(session, since: date, logged: tuple[str, date]) -> Request:
    """Acme (professional) with its contract from ``since``, and a CSV export feature
    quoted 3 h (2 of them chargeable, approved) with ``logged`` (hours, day) on it."""
    acme = session.scalar(sa.select(Client).where(Client.slug == "acme"))
    acme.since = since
    return work(
        session, "acme", "CSV export", "feature", quoted="3", chargeable="2", logged=(logged,)
    )


def bill_acme(session, settings, period: Period):
    return by_client(billing.bill(session, settings, period, client="acme", now=after(period)))[
        "acme"
    ]


def test_a_month_before_the_contract_start_has_no_fee_and_no_included_hours(
    session, settings, clients
):
    # Given Acme (professional) whose contract starts on 1 December, and November's work:
    # a feature with 2 chargeable hours approved, 3 h logged, and a bug with 1 h logged
    feature = acme_feature_from(session, date(2026, 12, 1), ("3", date(2026, 11, 10)))
    work(session, "acme", "Typo", "bug", logged=(("1", date(2026, 11, 12)),))
    # When November is billed
    november = bill_acme(session, settings, NOVEMBER)
    # Then no fee and nothing from included hours: charged at the rate up to the approval
    assert kinds_hours_amounts(november) == [
        ("charged", "2", "300.00"),
        ("not_charged", "1", "0.00"),
        ("not_charged", "1", "0.00"),
    ]
    assert not any("included" in line["description"] for line in november.lines)
    assert november.total == Decimal("300.00")
    pool = session.scalar(
        sa.select(sa.func.sum(StatementLine.pool_hours)).where(
            StatementLine.request_id == feature.id
        )
    )
    assert pool == Decimal("0")


def test_hours_logged_late_into_a_month_before_the_contract_start_are_charged_as_no_plan(
    session, settings, clients
):
    # Given Acme (professional) from 1 November, and October's 1 h on a feature with 2
    # chargeable hours approved, billed at the rate in October (no plan yet)
    feature = acme_feature_from(session, date(2026, 11, 1), ("1", date(2026, 10, 20)))
    october = bill_acme(session, settings, OCTOBER)
    assert kinds_hours_amounts(october) == [("charged", "1", "150.00")]
    # When 2 h more on the feature and 1 h on a bug are logged into October, after it was
    # billed, and November is billed
    log(session, feature, "2", date(2026, 10, 28))
    work(session, "acme", "Typo", "bug", logged=(("1", date(2026, 10, 29)),))
    november = bill_acme(session, settings, NOVEMBER)
    # Then November has its fee; October's late hours are charged up to the approval and
    # draw on no included hours, neither October's (it had none) nor November's
    assert kinds_hours_amounts(november) == [
        ("fee", None, "1000.00"),
        ("charged", "1", "150.00"),
        ("not_charged", "1", "0.00"),
        ("not_charged", "1", "0.00"),
    ]
    assert all(
        line["description"].startswith("Adjustment for 2026-10") for line in november.lines[1:]
    )
    assert november.total == Decimal("1150.00")
    stored = session.scalars(
        sa.select(StatementLine).join(Statement).where(Statement.period == "2026-11")
    )
    assert sum(line.pool_hours for line in stored) == 0


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


def stored(session) -> tuple[int, int, int]:
    """(statements, outbox emails, time entries on a statement)."""
    return (
        session.scalar(sa.select(sa.func.count()).select_from(Statement)),
        session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)),
        session.scalar(sa.select(sa.func.count()).where(TimeEntry.statement_id.is_not(None))),
    )


def test_a_month_not_over_on_the_agencys_clock_is_neither_stored_nor_sent(
    session, make_settings, db_url, october
):
    # Given it is 23:30 UTC on 31 October: still October in London, November in Berlin
    now = datetime(2026, 10, 31, 23, 30, tzinfo=UTC)
    london = make_settings(database_url=db_url, timezone="Europe/London")
    # When an agency in London bills October, then it is refused, naming the month
    with pytest.raises(billing.MonthNotOver, match=r"^2026-10 has not ended yet \(Europe/London\)"):
        billing.bill(session, london, OCTOBER, now=now)
    # And nothing is stored, queued or marked, not even by a resend
    with pytest.raises(billing.MonthNotOver):
        billing.bill(session, london, OCTOBER, resend=True, now=now)
    assert stored(session) == (0, 0, 0)
    # But for an agency in Berlin October is over: it is billed
    berlin = make_settings(database_url=db_url, timezone="Europe/Berlin")
    made = by_client(billing.bill(session, berlin, OCTOBER, now=now))
    assert {r.outcome for r in made.values()} == {"created"}


def test_a_month_to_come_is_refused_on_the_real_clock(session, settings, october):
    with pytest.raises(billing.MonthNotOver, match=r"^2999-05 has not ended yet"):
        billing.bill(session, settings, Period(2999, 5))
    assert stored(session) == (0, 0, 0)


def test_a_dry_run_of_a_month_not_over_is_a_preview_that_stores_nothing(session, settings, october):
    # Given it is 25 October, with hours logged on the 5th to the 20th
    now = datetime(2026, 10, 25, 12, 0, tzinfo=UTC)
    # When October is run dry
    preview = by_client(billing.bill(session, settings, OCTOBER, dry_run=True, now=now))
    # Then each statement is shown as a preview of an unfinished month, and nothing is kept
    assert preview["acme"].outcome == "preview, month not over"
    assert preview["acme"].total == Decimal("1150.00")
    assert billing.month_is_over(settings, OCTOBER, now) is False
    assert stored(session) == (0, 0, 0)


def test_a_resend_of_a_month_never_billed_bills_nothing(session, settings, october):
    # Given October was never billed for Acme
    # When its statement is resent, then there is nothing stored to resend
    never = r"^nothing stored to resend: 2026-10 was never billed for acme"
    with pytest.raises(billing.NothingToResend, match=never):
        billing.bill(session, settings, OCTOBER, client="acme", resend=True)
    # And the month is not billed by the way
    assert stored(session) == (0, 0, 0)


def test_a_resend_for_all_sends_what_is_stored_and_bills_no_one_else(session, settings, october):
    # Given October was billed for Acme only
    billing.bill(session, settings, OCTOBER, client="acme")
    before = stored(session)
    # When October is resent to every client
    resent = by_client(billing.bill(session, settings, OCTOBER, resend=True))
    # Then Acme's statement goes again and Zed, never billed, is not billed now
    assert resent["acme"].outcome == "resent" and resent["acme"].outbound_ids
    assert resent["zed"].outcome == "nothing stored to resend" and not resent["zed"].outbound_ids
    assert stored(session) == (before[0], before[1] + 1, before[2])


def answered(
    session,
    subject: str,
    opened: datetime,
    first_response: datetime,
    closed: datetime | None = None,
) -> Request:
    """An Acme bug (minor) opened, first answered and, if ``closed``, done at these times."""
    return add_request(
        session,
        "acme",
        subject,
        status=Status.DONE if closed else Status.IN_PROGRESS,
        opened_at=opened,
        first_response_at=first_response,
        closed_at=closed,
    )


def test_the_statement_email_shows_the_months_sla_record_and_approved_work_still_open(
    session, settings, october
):
    # Given (London, where October begins at 23:00 UTC on 30 September, in summer time):
    # a request answered and closed just after midnight on 1 October, London time
    answered(
        session,
        "Late-night question",
        opened=datetime(2026, 9, 30, 21, 0, tzinfo=UTC),
        first_response=datetime(2026, 9, 30, 23, 30, tzinfo=UTC),
        closed=datetime(2026, 9, 30, 23, 45, tzinfo=UTC),
    )
    # a request answered four business days late (Acme's target: 8 business hours)
    answered(
        session,
        "Slow answer",
        opened=datetime(2026, 10, 5, 8, 0, tzinfo=UTC),
        first_response=datetime(2026, 10, 9, 15, 0, tzinfo=UTC),
    )
    # a request answered in September, London time too: not October's
    answered(
        session,
        "September's",
        opened=datetime(2026, 9, 29, 8, 0, tzinfo=UTC),
        first_response=datetime(2026, 9, 30, 22, 30, tzinfo=UTC),
    )
    # and approved work that is done, so no longer open
    work(session, "acme", "Old report", "feature", quoted="3", chargeable="3").status = Status.DONE
    session.flush()
    # When October is billed
    [acme] = [r for r in billing.bill(session, settings, OCTOBER) if r.client == "acme"]
    # Then the email counts October's first responses and resolutions on London's clock
    parsed = email.message_from_bytes(
        session.get(OutboundMessage, acme.outbound_ids[0]).raw, policy=default
    )
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    record = "first responses on time 1 of 2; resolutions on time 1 of 1"
    assert f"Service this month: {record}." in text and f"Service this month: {record}." in html
    # And lists the approved work still open, with what was approved for it
    assert (
        "Approved work still open:\n"
        "  REQ-1001  CSV export (in progress), approved $150.00\n"
        "  REQ-1002  Checkout broken (in progress), no charge\n"
    ) in text
    assert "<li>REQ-1001 CSV export (in progress), approved $150.00</li>" in html
    assert "<li>REQ-1002 Checkout broken (in progress), no charge</li>" in html
    assert "Old report" not in text and "Old report" not in html
    # And the PDF says the same
    files = {a.get_filename(): a.get_payload(decode=True) for a in parsed.iter_attachments()}
    pdf = pypdf.PdfReader(io.BytesIO(files["statement-2026-10.pdf"]))
    pdf_text = " ".join(" ".join(page.extract_text() for page in pdf.pages).split())
    assert f"SLA this month: {record}" in pdf_text
    assert "REQ-1001 CSV export (in progress), approved $150.00" in pdf_text


# -- every hour on exactly one statement, across months with late hours -----------------------

MONTHS = (Period(2026, 7), Period(2026, 8), Period(2026, 9))
quarter_hours = st.integers(1, 16).map(lambda n: Decimal(n) / 4)


@st.composite
def histories(draw) -> tuple[list[tuple[str, str, int, bool]], list[list[tuple]]]:
    """Requests (client, type, approved chargeable hours, approved?) and, for each month
    billed in turn, the hours logged before its run: (request, hours, months back, day)."""
    requests = draw(
        st.lists(
            st.tuples(
                st.sampled_from(("acme", "zed")),
                st.sampled_from(("bug", "feature", "security", "question")),
                st.integers(0, 8),
                st.booleans(),
            ),
            min_size=1,
            max_size=3,
        )
    )
    which = st.integers(0, len(requests) - 1)
    logs = st.lists(
        st.tuples(which, quarter_hours, st.integers(0, 2), st.integers(1, 28)), max_size=5
    )
    return requests, [draw(logs) for _ in MONTHS]


def months_back(period: Period, back: int) -> Period:
    for _ in range(back):
        period = period.previous()
    return period


def lines_of(session) -> dict[tuple[str, str], list[tuple]]:
    """Every stored statement's lines, by (client, period)."""
    found = session.execute(
        sa.select(Client.slug, Statement.period, StatementLine)
        .join(Statement, Statement.client_id == Client.id)
        .join(StatementLine, StatementLine.statement_id == Statement.id)
        .order_by(StatementLine.position)
    )
    kept: dict[tuple[str, str], list[tuple]] = {}
    for slug, period, line in found:
        row = (line.kind, line.request_id, line.hours, line.amount, line.work_month)
        kept.setdefault((slug, period), []).append(row)
    return kept


@examples(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories())
def test_every_logged_hour_lands_on_exactly_one_statement_across_months(
    session, settings, clients, history
):
    requests, months = history
    example = session.begin_nested()  # rolled back: each example starts from no requests
    try:
        # Given requests with (or without) approved quotes
        made = [
            work(session, slug, f"Work {n}", kind, quoted=str(h), chargeable=str(h), approved=ok)
            for n, (slug, kind, h, ok) in enumerate(requests)
        ]
        logged_at: dict[int, Period] = {}  # entry -> the month whose run follows its logging
        kept_before: dict[tuple[str, str], list[tuple]] = {}
        for period, logs in zip(MONTHS, months, strict=True):
            # When hours are logged into this month and late into earlier, billed ones
            for index, hours, back, day in logs:
                worked = months_back(period, back).first_day.replace(day=day)
                entry = TimeEntry(
                    request_id=made[index].id, staff_email="d@a", hours=hours, work_date=worked
                )
                session.add(entry)
                session.flush()
                logged_at[entry.id] = period
            # And the month is billed, twice
            after = datetime.combine(period.next().first_day, time(12), tzinfo=UTC)
            billing.bill(session, settings, period, now=after)
            billing.bill(session, settings, period, now=after)
            # Then no statement made before is rewritten
            kept = lines_of(session)
            assert {k: kept[k] for k in kept_before} == kept_before
            kept_before = kept

        # Then every entry is on a statement: the first one made after it was logged
        entries = list(session.scalars(sa.select(TimeEntry)))
        assert len(entries) == len(logged_at)
        statements = {s.id: s for s in session.scalars(sa.select(Statement))}
        on: dict[tuple[int, int, str], Decimal] = {}
        for entry in entries:
            assert entry.statement_id is not None
            statement = statements[entry.statement_id]
            assert statement.period == logged_at[entry.id].label
            key = (statement.id, entry.request_id, Period.of(entry.work_date).label)
            on[key] = on.get(key, Decimal(0)) + entry.hours
        # And each statement's lines show exactly the hours of the entries it accounts for,
        # late ones as an adjustment for their own month
        shown: dict[tuple[int, int, str], Decimal] = {}
        for statement in statements.values():
            for line in statement.lines:
                if line.request_id is None:
                    continue
                assert line.work_month is not None and line.work_month <= statement.period
                late = line.work_month != statement.period
                assert line.description.startswith("Adjustment") == late
                key = (statement.id, line.request_id, line.work_month)
                shown[key] = shown.get(key, Decimal(0)) + line.hours
        assert shown == on
        # And what the client reads agrees with the lines: each row's hours are its parts,
        # all rows the lines' hours, the included hours used the rows' included hours, and
        # the fee and the rows' amounts the total
        for statement in statements.values():
            owner = session.get(Client, statement.client_id)
            context = statement_context(session, settings, owner, statement)
            rows = context["rows"] + context["adjustments"]
            for row in rows:
                parts = ("covered", "included", "charged", "not_charged")
                assert row["hours"] == sum((row[part] for part in parts), Decimal(0))
            logged = [line.hours for line in statement.lines if line.hours is not None]
            assert sum((row["hours"] for row in rows), Decimal(0)) == sum(logged, Decimal(0))
            used = sum((row["included"] for row in context["rows"]), Decimal(0))
            assert context["included_used"] == used
            amounts = sum((row["amount"] for row in rows), Decimal("0.00"))
            assert (context["fee"] or Decimal("0.00")) + amounts == statement.total
    finally:
        example.rollback()

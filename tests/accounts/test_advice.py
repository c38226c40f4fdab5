"""Plan advice over the database: what statements billed beside what every plan would have
cost, the report to staff after a month's statements, the advice to clients (at most once a
quarter, only when the agency sends it) and the introduction to the plans (once)."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from email.policy import default

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from intake.accounts import advice
from intake.accounts.models import AdviceSent
from intake.billing import service as billing
from intake.billing.statement import Period
from intake.clients.models import Client
from intake.outbox.models import OutboundMessage
from intake.plans import price_sheet
from intake.requests.models import Request
from tests.drawn import examples
from tests.factories import add_example_clients, work

D = Decimal
SEP, OCT, NOV = Period(2026, 9), Period(2026, 10), Period(2026, 11)


@pytest.fixture
def clients(session):
    add_example_clients(session)


def monthly(session, slug, subject, kind, hours, months=(SEP, OCT, NOV)):
    """A request of ``slug``'s with ``hours`` logged on the 10th of each month, all approved."""
    total = D(hours) * len(months)
    logged = tuple((hours, m.first_day + timedelta(days=9)) for m in months)
    work(session, slug, subject, kind, quoted=str(total), chargeable=str(total), logged=logged)


def bill_all(session, settings, *periods):
    for period in periods:
        billing.bill(session, settings, period)


def text(message: OutboundMessage) -> str:
    parsed = email.message_from_bytes(message.raw, policy=default)
    return parsed.get_body(("plain",)).get_content()


def by_client(found):
    return {a.client.slug: a for a in found}


def test_a_client_paying_by_the_hour_for_fixes_is_advised_the_plan_that_covers_them(
    session, settings, clients
):
    # Given Zed, with no plan, 4 h of bug fixing a month at $150, billed for Sep to Nov
    monthly(session, "zed", "Login fails", "bug", "4")
    bill_all(session, settings, SEP, OCT, NOV)
    zed = by_client(advice.advise(session, settings, NOV))["zed"]
    # Then it paid $600 a month, all of it hourly, more than Basic's fee two months running
    assert zed.billed == (D("600.00"),) * 3 and zed.hourly == zed.billed
    assert zed.over_the_fee and zed.flagged
    # And Basic ($500 a month, bugs covered) would have cost $1,500: $300 less
    assert zed.better is not None and zed.better.plan.key == "basic"
    assert (zed.better.cost, zed.saving) == (D("1500.00"), D("300.00"))
    assert zed.line("USD") == (
        "Zed GmbH: $1,800.00 hourly over Sep–Nov 2026 for 12 h of work; Basic would have"
        " cost $1,500.00 ($500.00 and 2 h included a month), covering 12 h of the work:"
        " advise Basic, $300.00 less"
    )


def test_paying_by_the_hour_for_new_work_no_plan_is_cheaper_and_staff_hear_it(
    session, settings, clients
):
    # Given Zed with 4 h of new features a month: Basic would cover 2 h of each month
    monthly(session, "zed", "New report", "feature", "4")
    bill_all(session, settings, SEP, OCT, NOV)
    zed = by_client(advice.advise(session, settings, NOV))["zed"]
    assert zed.better is None and zed.over_the_fee  # $600 > $500 two months running
    assert zed.compared.plan.key == "basic" and zed.compared.cost == D("2400.00")
    assert zed.line("USD").endswith("covering 6 h of the work: no change advised")


def test_what_the_statements_billed_is_what_the_rules_give_for_the_clients_own_plan(
    session, settings, clients
):
    # Acme (Professional, 5 h included) with features over its included hours and a bug
    monthly(session, "acme", "Export", "feature", "7.5")
    monthly(session, "acme", "Crash", "bug", "1", months=(OCT,))
    bill_all(session, settings, SEP, OCT, NOV)
    acme = by_client(advice.advise(session, settings, NOV))["acme"]
    assert acme.billed == (D("1375.00"),) * 3  # $1,000 and 2.5 h at $150
    assert acme.paid == acme.costings["professional"].cost
    # Basic: $500 and 5.5 h at $150 a month, $3,975 in all: $150 less
    assert acme.better is not None and acme.better.plan.key == "basic"
    assert acme.saving == D("150.00")


def test_a_client_on_a_plan_is_never_advised_to_drop_it(session, settings, clients):
    # Acme pays $1,000 a month for an hour of fixes: Basic would do, no plan would be
    # cheaper still, but a plan also buys response times
    monthly(session, "acme", "Crash", "bug", "1")
    bill_all(session, settings, SEP, OCT, NOV)
    acme = by_client(advice.advise(session, settings, NOV))["acme"]
    assert acme.costings["none"].cost < acme.costings["basic"].cost
    assert acme.better is not None and acme.better.plan.key == "basic"
    assert acme.saving == D("1500.00")


@given(
    kinds=st.lists(st.sampled_from(["bug", "feature", "question"]), min_size=1, max_size=4),
    hours=st.lists(st.integers(1, 40).map(lambda q: D(q) / 4), min_size=4, max_size=4),
)
@examples(15, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
def test_a_billed_quarter_adds_up_to_the_costing_of_the_clients_own_plan(
    session, settings, clients, kinds, hours
):
    example = session.begin_nested()  # rolled back: each example starts from no requests
    try:
        for n, kind in enumerate(kinds):
            monthly(session, "acme", f"Work {n}", kind, str(hours[n]))
            monthly(session, "zed", f"Work {n}", kind, str(hours[-n - 1]))
        bill_all(session, settings, SEP, OCT, NOV)
        found = by_client(advice.advise(session, settings, NOV))
        for slug, plan in (("acme", "professional"), ("zed", "none")):
            assert found[slug].paid == found[slug].costings[plan].cost
    finally:
        example.rollback()


def test_a_month_not_billed_yet_counts_as_the_rules_bill_it(session, settings, clients):
    monthly(session, "zed", "Login fails", "bug", "2")
    bill_all(session, settings, SEP, OCT)  # November is not billed yet
    zed = by_client(advice.advise(session, settings, NOV))["zed"]
    assert zed.billed == (D("300.00"),) * 3


def test_staff_get_the_report_once_a_month_and_clients_nothing_unless_the_agency_sends_it(
    session, settings, clients
):
    monthly(session, "zed", "Login fails", "bug", "4")
    bill_all(session, settings, SEP, OCT, NOV)
    queued = advice.give_advice(session, settings, NOV, date(2026, 12, 1))
    assert [(m.kind, m.recipients) for m in queued] == [("staff_advice", ["dana@agency.example"])]
    assert "Zed GmbH: $1,800.00 hourly" in text(queued[0])
    assert "advise Basic, $300.00 less" in text(queued[0])
    assert advice.give_advice(session, settings, NOV, date(2026, 12, 1)) == []


def test_a_client_gets_the_advice_at_most_once_a_quarter(session, make_settings, db_url, clients):
    settings = make_settings(database_url=db_url, advice={"send_to_client": True})
    # Zed pays by the hour for fixes; Acme pays Professional's fee for no work at all
    monthly(session, "zed", "Login fails", "bug", "4")
    bill_all(session, settings, SEP, OCT, NOV)
    first = advice.give_advice(session, settings, NOV, date(2026, 12, 1))
    assert [(m.kind, m.recipients) for m in first] == [
        ("staff_advice", ["dana@agency.example"]),
        ("advice", ["alice@acme.example"]),  # who may approve work, not the accounts team
        ("advice", ["zoe@zed.example"]),
    ]
    to_zed = text(first[2])
    assert "Hello Zoe," in to_zed
    assert "Over Sep–Nov 2026 Zed GmbH paid $1,800.00 for 12 h of our work" in to_zed
    assert "On the Basic plan the same work would have cost $1,500.00" in to_zed
    assert (
        "Basic: $500.00 a month, including 2 h of new work; critical issues answered within 4 hours"
        in to_zed
    )
    assert "Acme Ltd paid $3,000.00 for 0 h of our work on the Professional plan" in text(first[1])
    # The next month, in the same quarter: staff hear again, the clients do not
    again = advice.give_advice(session, settings, OCT, date(2026, 12, 2))
    assert [m.kind for m in again] == ["staff_advice"]
    sent = session.scalars(sa.select(AdviceSent).order_by(AdviceSent.id)).all()
    assert [(s.kind, s.key, s.outbound_id) for s in sent] == [
        ("advice", "2026-Q4", first[1].id),
        ("advice", "2026-Q4", first[2].id),
    ]


def test_the_introduction_to_the_plans_goes_once_after_thirty_days(
    session, make_settings, db_url, clients
):
    settings = make_settings(database_url=db_url, advice={"introduce_plans": True})
    # Zed's contract started on 1 June: it has had no plan for more than 30 days
    assert advice.introduce(session, make_settings(database_url=db_url), date(2026, 12, 1)) == []
    sent = advice.introduce(session, settings, date(2026, 12, 1))
    assert [(m.kind, m.recipients) for m in sent] == [("introduction", ["zoe@zed.example"])]
    assert "Basic: $500.00 a month, including 2 h of new work" in text(sent[0])
    assert advice.introduce(session, settings, date(2026, 12, 2)) == []


def test_the_introduction_waits_thirty_days_from_the_first_request(
    session, make_settings, db_url, clients
):
    settings = make_settings(database_url=db_url, advice={"introduce_plans": True})
    zed = session.scalar(sa.select(Client).where(Client.slug == "zed"))
    zed.since = None
    monthly(session, "zed", "Login fails", "bug", "1", months=(NOV,))
    first = session.scalar(sa.select(sa.func.min(Request.opened_at)))
    assert advice.introduce(session, settings, first.date() + timedelta(days=29)) == []
    assert len(advice.introduce(session, settings, first.date() + timedelta(days=30))) == 1
    assert session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)) == 1


def test_a_new_client_is_compared_over_its_own_months_only(session, settings, clients):
    # Given Zed's contract started in November
    zed = session.scalar(sa.select(Client).where(Client.slug == "zed"))
    zed.since = date(2026, 11, 1)
    monthly(session, "zed", "Login fails", "bug", "4", months=(NOV,))
    bill_all(session, settings, NOV)
    found = by_client(advice.advise(session, settings, NOV))["zed"]
    assert found.periods == (NOV,) and found.billed == (D("600.00"),)
    # Basic's one fee, not three, against one month's hours
    assert found.better is not None and found.better.cost == D("500.00")
    assert "over Nov 2026 for 4 h of work" in found.line("USD")


def test_a_client_reads_the_advice_and_the_introduction_in_its_language(
    session, make_settings, db_url, clients
):
    settings = make_settings(
        database_url=db_url, advice={"send_to_client": True, "introduce_plans": True}
    )
    zed = session.scalar(sa.select(Client).where(Client.slug == "zed"))
    zed.language = "de"
    monthly(session, "zed", "Login fails", "bug", "4")
    bill_all(session, settings, SEP, OCT, NOV)
    sent = advice.give_advice(session, settings, NOV, date(2026, 12, 1))
    [to_zoe] = [m for m in sent if m.recipients == ["zoe@zed.example"]]
    said = text(to_zoe)
    assert to_zoe.subject.startswith("Ihr Support im Zeitraum Sept.–Nov. 2026")
    assert "Im Paket Basic hätte dieselbe Arbeit 1.500,00\xa0$ gekostet" in said
    assert "Antwort bei kritischen Problemen innerhalb von 4 Stunden" in said
    [introduced] = advice.introduce(session, settings, date(2026, 12, 1))
    assert introduced.subject == "Support-Pakete bei Example Agency"
    # Staff read the report in the agency's language
    assert text(sent[0]).startswith("Plans compared over Sep–Nov 2026")


def test_a_price_sheet_of_one_plan_advises_nothing(session, settings, clients):
    monthly(session, "zed", "Login fails", "bug", "4")
    bill_all(session, settings, SEP, OCT, NOV)
    sheet = price_sheet(settings)
    alone = replace(sheet, plans={"none": sheet.plan("none")})
    zed = session.scalar(sa.select(Client).where(Client.slug == "zed"))
    found = advice.one(alone, zed, (SEP, OCT, NOV), [], {})
    assert not found.flagged and found.compared.plan.key == "none"

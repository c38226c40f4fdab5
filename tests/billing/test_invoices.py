"""Statements are invoices: numbered from one gap-free sequence, dated, due, addressed from
the agency to the client, and taxed as the client's terms say."""

from __future__ import annotations

import email
import io
from datetime import timedelta
from decimal import Decimal
from email.policy import default

import pypdf
import pytest
import sqlalchemy as sa

from intake.billing import service as billing
from intake.billing.models import Statement
from intake.billing.statement import Period
from intake.clients.models import Client
from intake.clients.service import parse_client, to_toml
from intake.errors import InvalidInput
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request, TimeEntry
from tests.factories import add_example_clients, october_work, work

OCTOBER, NOVEMBER = Period(2026, 10), Period(2026, 11)


@pytest.fixture
def october(session):
    add_example_clients(session)
    october_work(session)


@pytest.fixture
def invoicing(make_settings, db_url):
    return make_settings(
        database_url=db_url,
        billing={
            "currency": "EUR",
            "invoice_prefix": "EA-2026-",
            "payment_terms_days": 30,
            "legal_name": "Example Agency Ltd",
            "address": "1 High Street\nLondon EC1A 1AA",
            "tax_id": "GB 123 4567 89",
        },
    )


def client(session, slug: str) -> Client:
    return session.scalar(sa.select(Client).where(Client.slug == slug))


def letter(session, result) -> tuple[str, str, str]:
    """The statement email of ``result``: its subject, text and the PDF's text."""
    parsed = email.message_from_bytes(
        session.get(OutboundMessage, result.outbound_ids[0]).raw, policy=default
    )
    [pdf] = [a for a in parsed.iter_attachments() if a.get_content_type() == "application/pdf"]
    pages = pypdf.PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages
    return (
        str(parsed["Subject"]),
        parsed.get_body(("plain",)).get_content(),
        "\n".join(page.extract_text() for page in pages),
    )


def test_each_statement_takes_the_next_number_and_keeps_it(session, invoicing, october):
    first = {r.client: r for r in billing.bill(session, invoicing, OCTOBER)}
    # Clients are billed in slug order: acme, then zed (globex had nothing to bill)
    assert first["acme"].invoice["number"] == "EA-2026-00001"
    assert first["zed"].invoice["number"] == "EA-2026-00002"
    assert all(r.invoice is None for r in first.values() if r.outcome == "nothing to bill")
    # A month billed again, or resent, keeps its numbers; the next month goes on from them
    again = {r.client: r for r in billing.bill(session, invoicing, OCTOBER, resend=True)}
    assert again["acme"].invoice["number"] == "EA-2026-00001"
    work(session, "acme", "November work", "feature", quoted="2", chargeable="2",
         logged=(("2", NOVEMBER.first_day),))  # fmt: skip
    later = {r.client: r for r in billing.bill(session, invoicing, NOVEMBER)}
    assert later["acme"].invoice["number"] == "EA-2026-00003"


def test_a_run_that_fails_half_way_gives_its_numbers_back(session, invoicing, october, monkeypatch):
    # Given a run that fails after Acme's statement is stored, before Zed's is
    real = billing._send

    def failing(session, settings, client, statement):
        if client.slug == "zed":
            raise RuntimeError("the disk is full")
        return real(session, settings, client, statement)

    monkeypatch.setattr(billing, "_send", failing)
    savepoint = session.begin_nested()
    with pytest.raises(RuntimeError):
        billing.bill(session, invoicing, OCTOBER)
    savepoint.rollback()
    assert session.scalar(sa.select(sa.func.count()).select_from(Statement)) == 0
    # When it runs again
    monkeypatch.setattr(billing, "_send", real)
    numbers = sorted(r.invoice["number"] for r in billing.bill(session, invoicing, OCTOBER)
                     if r.invoice)  # fmt: skip
    # Then the numbers start where they would have: none skipped, none used twice
    assert numbers == ["EA-2026-00001", "EA-2026-00002"]


def test_an_invoice_is_dated_addressed_and_due(session, invoicing, october):
    acme = client(session, "acme")
    acme.billing_address = "Acme Ltd\n5 Mill Lane\nLeeds LS1 4AB"
    acme.tax_id = "GB 987 6543 21"
    [result] = [r for r in billing.bill(session, invoicing, OCTOBER) if r.client == "acme"]
    invoice = result.invoice
    stored = session.scalar(sa.select(Statement).where(Statement.number == invoice["number"]))
    assert stored.due_on - stored.issued_on == timedelta(days=30)
    subject, text, pdf = letter(session, result)
    assert subject == "Invoice EA-2026-00001 for October 2026: €1,150.00"
    assert f"Invoice EA-2026-00001, issued {stored.issued_on:%a %-d %b %Y}" in text
    assert (
        "From: Example Agency Ltd, 1 High Street, London EC1A 1AA (tax ID GB 123 4567 89)" in text
    )
    assert "To:   Acme Ltd, 5 Mill Lane, Leeds LS1 4AB (tax ID GB 987 6543 21)" in text
    assert f"Please pay by {stored.due_on:%a %-d %b %Y} (30 days), quoting EA-2026-00001." in text
    for said in ("Invoice EA-2026-00001", "Example Agency Ltd", "5 Mill Lane", "Total due:"):
        assert said in pdf


def test_tax_is_charged_on_top_of_the_lines_to_the_cent(session, invoicing, october):
    client(session, "acme").tax_rate = Decimal("20")
    client(session, "zed").tax_rate = Decimal("7.7")
    results = {r.client: r for r in billing.bill(session, invoicing, OCTOBER)}
    acme, zed = results["acme"].invoice, results["zed"].invoice
    assert (acme["net"], acme["tax_rate"], acme["tax"], acme["gross"]) == (
        "1150.00",
        "20",
        "230.00",
        "1380.00",
    )
    # 225.00 at 7.7 % is 17.325: half-up to 17.33
    assert (zed["net"], zed["tax"], zed["gross"]) == ("225.00", "17.33", "242.33")
    # The lines still add up to the net, and the email shows all three
    assert sum(Decimal(line["amount"]) for line in results["acme"].lines) == Decimal("1150.00")
    subject, text, pdf = letter(session, results["acme"])
    assert subject.endswith(": €1,380.00")
    assert "Net:          €1,150.00" in text and "Tax 20 %:     €230.00" in text
    assert "Total due:    €1,380.00" in text
    assert "Tax 20 %" in pdf and "Total due: €1,380.00" in pdf


def test_under_the_reverse_charge_no_tax_is_charged_and_the_invoice_says_why(
    session, invoicing, october
):
    client(session, "zed").reverse_charge = True
    [zed] = [r for r in billing.bill(session, invoicing, OCTOBER) if r.client == "zed"]
    assert (zed.invoice["tax"], zed.invoice["gross"], zed.invoice["reverse_charge"]) == (
        "0.00",
        "225.00",
        "true",
    )
    _, text, pdf = letter(session, zed)
    assert "VAT:          €0.00 (reverse charge)" in text
    assert "the recipient accounts for it" in text
    assert "Directive 2006/112/EC" in " ".join(pdf.split()), "the note in the PDF"


def test_a_clients_invoice_terms_are_read_checked_and_written_back():
    entry = {
        "slug": "nord",
        "name": "Nørdwind Trädérs ApS",
        "billing_address": "Nørregade 1\n1165 København",
        "tax_id": "DK12345678",
        "reverse_charge": True,
        "language": "de",
    }
    spec = parse_client(entry, "clients.toml", None)
    assert (spec.billing_address, spec.tax_id, spec.reverse_charge, spec.language) == (
        "Nørregade 1\n1165 København",
        "DK12345678",
        True,
        "de",
    )
    for bad, reason in (
        ({"tax_rate": "20", "reverse_charge": True}, "exclude each other"),
        ({"tax_rate": "120"}, "percentage from 0 to 100"),
        ({"tax_rate": "19.999"}, "percentage from 0 to 100"),
        ({"language": "pt"}, "language must be one of en, de, fr, es, nl"),
    ):
        with pytest.raises(InvalidInput, match=reason):
            parse_client({"slug": "x", **bad}, "clients.toml", None)
    written = Client(
        slug="nord",
        name=spec.name,
        plan="none",
        timezone="UTC",
        requires_po=False,
        billing_emails=[],
        billing_address=spec.billing_address,
        tax_id=spec.tax_id,
        tax_rate=Decimal("25"),
        reverse_charge=False,
        language="de",
    )
    import tomllib

    [back] = tomllib.loads(to_toml([written]))["client"]
    assert parse_client(back, "again", None).tax_rate == Decimal("25.00")
    assert (back["billing_address"], back["language"]) == ("Nørregade 1\n1165 København", "de")


def test_the_currency_is_a_real_one(make_settings):
    from intake.errors import ConfigError

    with pytest.raises(ConfigError, match=r"billing\.currency"):
        make_settings(billing={"currency": "EURO"})
    assert make_settings(billing={"currency": "chf"}).billing.currency == "CHF"


def test_each_line_shows_the_days_hours_and_notes_logged(session, invoicing, october):
    [acme] = [r for r in billing.bill(session, invoicing, OCTOBER) if r.client == "acme"]
    _, text, pdf = letter(session, acme)
    entries = session.scalars(
        sa.select(TimeEntry).join(Request).where(Request.subject == "CSV export")
    ).all()
    assert entries, "the premise: hours logged on Acme's export"
    for entry in entries:
        said = f"{entry.work_date:%a %-d %b}  {entry.hours.normalize():f} h"
        assert said in text
        assert said in pdf


def test_a_long_statement_pdf_repeats_its_heading_and_numbers_its_pages(
    session, invoicing, october
):
    subject = "Fix number {} with a subject long enough to be cut short here"
    for n in range(60):
        work(session, "zed", subject.format(n), "feature", quoted="1", chargeable="1",
             logged=(("0.5", OCTOBER.first_day),))  # fmt: skip
    [zed] = [r for r in billing.bill(session, invoicing, OCTOBER) if r.client == "zed"]
    parsed = email.message_from_bytes(
        session.get(OutboundMessage, zed.outbound_ids[0]).raw, policy=default
    )
    [pdf] = [a for a in parsed.iter_attachments() if a.get_content_type() == "application/pdf"]
    pages = pypdf.PdfReader(io.BytesIO(pdf.get_payload(decode=True))).pages
    assert len(pages) >= 2
    table_ends = next(n for n, page in enumerate(pages, 1) if "Total due:" in page.extract_text())
    assert table_ends >= 2, "the premise: a table longer than a page"
    for number, page in enumerate(pages, 1):
        words = page.extract_text()
        assert f"Page {number} of {len(pages)}" in words
        if number <= table_ends:  # every page of the table has its heading
            assert "Request" in words and "Amount" in words, f"page {number} has no heading"
    everything = "\n".join(page.extract_text() for page in pages)
    assert "Fix number 59" in everything and "…" in everything

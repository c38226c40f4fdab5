"""A client who reads German gets German: the quote as filing answers a new request, the
monthly statement, and a STATUS reply; staff keep reading English."""

from __future__ import annotations

import email
import io
import re
from decimal import Decimal
from email.policy import default

import pypdf
import pytest

from intake.billing import service as billing
from intake.billing.statement import Period
from intake.outbox.models import OutboundMessage
from tests.factories import add_example_clients, client, october_work
from tests.mailbuilder import message
from tests.pipeline import deliver

ZOE = "zoe@zed.example"
WEEKDAY = r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)"


@pytest.fixture
def german_zed(session):
    """The example clients, with Zed GmbH reading German (as in the demo)."""
    add_example_clients(session)
    client(session, "zed").language = "de"
    session.flush()


def sent(session, ids, kind):
    [row] = [r for r in (session.get(OutboundMessage, i) for i in ids) if r.kind == kind]
    parsed = email.message_from_bytes(row.raw, policy=default)
    text = parsed.get_body(("plain",)).get_content()
    html = parsed.get_body(("html",)).get_content()
    return parsed, text, html


def test_a_german_clients_request_is_quoted_in_german_and_staff_read_english(
    session, settings, german_zed
):
    # Given Zed GmbH, who reads German, and whose work costs money (no plan)
    # When Zoe asks for new work by email and filing answers her
    outcome = deliver(
        session,
        settings,
        message(
            sender=ZOE,
            name="Zoe Weber",
            subject="Could you add a CSV export to the admin?",
            body="Hello,\n\ncould you add a CSV export of the orders? Thanks\n\nZoe\n",
        ),
    )
    # Then her quote is in German, with the reference kept in the subject
    quote, text, html = sent(session, outcome.outbound_ids, "quote")
    assert quote["To"] == ZOE
    subject = quote["Subject"]
    assert subject.startswith("[REQ-1001] Could you add a CSV export to the admin? — Angebot: ")
    assert re.search(r"Angebot: [\d.]+,\d\d \$, bitte freigeben$", subject), subject
    assert text.startswith(
        "Hallo Zoe,\n\nvielen Dank für Ihre Anfrage. Wir haben sie unter REQ-1001"
    )
    assert "Wir haben sie unter REQ-1001 erfasst" in text
    assert "Hier ist unser Angebot:" in text
    # money as German writes dollars, dates with German day names on Zed's clock
    assert re.search(r"Kosten: +[\d.]+,\d\d\xa0\$\n", text), text
    assert re.search(
        rf"Beginn bis: +{WEEKDAY}, \d+\. \w+ 2026, \d\d:\d\d Uhr \(Europe/Berlin\)", text
    )
    assert re.search(rf"Fertig bis: +{WEEKDAY}, \d+\. \w+ 2026\n", text)
    # the words she is to reply with are ones intake reads, and her PO is asked for
    assert "„genehmigt“ und Ihrer Bestellnummer" in text and "„abgelehnt“" in text
    assert "Here is our quote" not in text and "Thank you" not in text
    assert '<html lang="de">' in html and "Hier ist unser Angebot:" in html
    # And the staff notice of the same request stays in the agency's English
    notice, staff_text, _ = sent(session, outcome.outbound_ids, "staff_new_request")
    assert notice["To"] == "dana@agency.example"
    assert "Angebot" not in staff_text and "Uhr" not in staff_text


def test_an_english_client_is_still_quoted_in_english(session, settings, german_zed):
    outcome = deliver(session, settings, message(subject="Could you add a CSV export?"))
    reply = next(
        r for r in (session.get(OutboundMessage, i) for i in outcome.outbound_ids)
        if r.kind in ("quote", "no_charge")
    )  # fmt: skip
    text = email.message_from_bytes(reply.raw, policy=default).get_body(("plain",)).get_content()
    assert text.startswith("Hello Alice,\n") and "Thank you for your request." in text


def test_a_german_clients_statement_and_its_pdf_are_in_german_and_its_csv_in_english(
    session, settings, german_zed
):
    # Given October's work, Zed's a question of 1.5 h charged at $150 an hour
    october_work(session)
    # When October is billed
    [zed] = [r for r in billing.bill(session, settings, Period(2026, 10)) if r.client == "zed"]
    assert zed.total == Decimal("225.00")
    # Then Zed's statement email is in German, its amounts to the cent as German writes them
    statement, text, html = sent(session, zed.outbound_ids, "statement")
    assert statement["To"] == "buchhaltung@zed.example"
    # (a subject is one line of plain spaces: the no-break space before "$" is one too)
    assert re.fullmatch(r"Rechnung INV-\d{5} für Oktober 2026: 225,00 \$", statement["Subject"])
    assert "Sehr geehrte Damen und Herren,\n\nhier ist Ihre Abrechnung für Oktober 2026." in text
    assert re.search(
        rf"Rechnung INV-\d{{5}} vom {WEEKDAY}, \d+\. \w+ \d{{4}}, fällig am {WEEKDAY}, ", text
    )
    assert "1,5\xa0Std.: wie freigegeben berechnet  225,00\xa0$" in text
    assert "Di., 20. Okt.  1,5\xa0Std." in text
    assert "Gesamtbetrag: 225,00\xa0$" in text
    assert (
        "Arbeiten im Oktober 2026" in html and "Gesamtbetrag: <strong>225,00\xa0$</strong>" in html
    )
    # And the PDF attached is the invoice in German too, its due date as German writes it
    files = {a.get_filename(): a.get_content() for a in statement.iter_attachments()}
    assert set(files) == {"statement-2026-10.csv", "statement-2026-10.pdf"}
    pdf = " ".join(
        page.extract_text()
        for page in pypdf.PdfReader(io.BytesIO(files["statement-2026-10.pdf"])).pages
    )
    assert re.search(rf"Rechnung INV-\d{{5}} vom {WEEKDAY}, .* fällig am {WEEKDAY}, ", pdf)
    assert "Gesamtbetrag: 225,00\xa0$" in pdf and "Total due" not in pdf
    # while the CSV keeps the column names a spreadsheet or an accounting import reads
    assert files["statement-2026-10.csv"].startswith("period,worked in,kind,description")


def test_a_german_contacts_status_command_is_answered_in_german(session, settings, german_zed):
    # Given a request of Zed's waiting for Zoe's approval
    deliver(session, settings, message(sender=ZOE, name="Zoe Weber", subject="Add a CSV export"))
    # When she writes STATUS
    outcome = deliver(
        session, settings, message(sender=ZOE, name="Zoe Weber", subject="STATUS", body="STATUS\n")
    )
    # Then the answer says where it stands, in German
    answer, text, _ = sent(session, outcome.outbound_ids, "client_status")
    assert answer["Subject"] == "Ihre offenen Anfragen bei Example Agency"
    assert "Zed GmbH hat 1 offene Anfrage bei uns:" in text
    assert re.search(rf"Angebot gesendet, fertig bis {WEEKDAY}, .*: wartet auf Ihre Freigabe", text)


def test_a_german_client_who_answers_no_quote_gets_it_again_in_german(
    session, settings, german_zed
):
    # Given Zoe's request, quoted (the work costs money)
    deliver(session, settings, message(sender=ZOE, name="Zoe Weber", subject="Add a CSV export"))
    # When she writes "approved" in a new email that names the request only by its subject
    outcome = deliver(
        session,
        settings,
        message(sender=ZOE, name="Zoe Weber", subject="Re: [REQ-1001] export", body="approved\n"),
    )
    # Then nothing is approved, and she is sent the quote again, in German, to answer
    again, text, _ = sent(session, outcome.outbound_ids, "staff_relay")
    assert again["Subject"] == "[REQ-1001] Add a CSV export" and again["To"] == ZOE
    assert text.startswith("Ihre Nachricht war keine Antwort auf die E-Mail mit unserem Angebot")
    assert "Unser Angebot für REQ-1001:" in text and "„genehmigt“" in text
    assert re.search(rf"Fertig bis: +{WEEKDAY}, \d+\. \w+ 2026\n", text)
    assert text.rstrip().endswith("--\nIhr Support-Team von Example Agency")

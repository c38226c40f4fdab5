"""`intake demo`: the sample mailbox through the whole pipeline on the embedded servers."""

from __future__ import annotations

import email
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from email.policy import default
from pathlib import Path

import pypdf
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.db import make_engine, session_factory, transaction
from intake.mail.models import Filing, InboundMessage
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Event, Request
from intake.requests.states import Status
from workers.demo import MAILBOX, run_demo

# The sample's story of REQ-1002: Zoe asks for a CSV export, Dana re-quotes it by email
# (15-dana-staff-quote-csv-export.eml), Zoe approves (16-zoe-approves-csv-export.eml).
ZOE = "zoe@zed.example"
DANA = "dana@agency.example"
ZOE_ASKS = "AM9PR04MB813203762B3208B43F3BB99052D203AC62ED@AM9PR04MB8132.eurprd04.prod.outlook.com"
DANA_QUOTES = "615990af-5bae-e04a-efef-43aff4f9fef8@agency.example"
ZOE_APPROVES = (
    "AM9PR04MB8132CA0D01B4FC905DB5F4E1708FCAE5F181@AM9PR04MB8132.eurprd04.prod.outlook.com"
)


GREEK = "Ελληνική Εταιρεία Α.Ε."
WEEKDAY = r"(Montag|Dienstag|Mittwoch|Donnerstag|Freitag|Samstag|Sonntag)"


@dataclass(frozen=True)
class Demo:
    report: str
    database_url: str
    folder: Path


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    """One run of the demo, shared by the tests that read what it did."""
    folder = tmp_path_factory.mktemp("demo")
    return Demo(run_demo(folder), f"sqlite:///{folder / 'intake-demo.db'}", folder)


def pdf_text(path: Path) -> str:
    return "\n".join(
        page.extract_text() for page in pypdf.PdfReader(io.BytesIO(path.read_bytes())).pages
    )


@pytest.fixture
def demo_db(demo: Demo) -> Iterator[Session]:
    engine = make_engine(demo.database_url)
    with transaction(session_factory(engine)) as session:
        yield session
    engine.dispose()


def inbound(session: Session, message_id: str) -> InboundMessage:
    return session.scalars(
        sa.select(InboundMessage).where(InboundMessage.message_id == message_id)
    ).one()


def test_the_demo_files_every_sample_message_and_says_what_became_of_it(demo, demo_db):
    report = demo.report
    files = sorted(MAILBOX.glob("*.eml"))
    assert f"{len(files)} messages from the sample mailbox" in report
    verdicts = re.findall(r"^\s+-> (.+)$", report, flags=re.MULTILINE)
    assert len(verdicts) == len(files)
    filings = list(demo_db.scalars(sa.select(InboundMessage.filing)))
    # The sample tells a story with each kind of outcome, and nothing is left pending.
    assert Filing.PENDING not in filings
    assert {Filing.REQUEST, Filing.FOLLOW_UP, Filing.MACHINE, Filing.HELD} <= set(filings)
    assert "held for staff" in report and "machine mail, no reply" in report
    # and a client asking for the status of their requests by email, answered, no request
    assert re.search(r"-> client command answered, no request — STATUS answered", report)
    assert "sent    to alice@acme.example: Your open requests with Example Agency" in report
    # Each sample client got its reply, sent to the embedded SMTP sink
    for address in ("alice@acme.example", "zoe@zed.example", "hank@globex.example"):
        assert re.search(rf"^  sent +to {address}: \[REQ-\d+\]", report, flags=re.MULTILINE)
    assert "pending" not in report.split("Replies to clients")[1]
    # It ends with the sample clients' statements, billed and sent
    statements = report.split("Statements for 2026-11")[1]
    zed = r"^  zed: invoice INV-\d{5}, 675\.00 \(created\) -> buchhaltung@zed\.example$"
    assert re.search(zed, statements, re.M)
    assert re.search(r"^  acme: invoice INV-\d{5}, 1000\.00 \(created\)", statements, re.M)
    assert "4.5 h" in statements
    # as invoices: Acme's with its 20 % tax, Zed's under the reverse charge, each due
    assert re.search(r"^ +tax 20 % +200\.00$", statements, re.M)
    assert re.search(r"^ +no VAT: reverse charge +0\.00$", statements, re.M)
    assert re.search(r"^ +total due by \d{4}-\d{2}-\d{2} +1200\.00$", statements, re.M)
    # and a client whose name is in Greek letters, billed its plan fee with 24 % tax
    hellas = r"^  hellas: invoice INV-\d{5}, 500\.00 \(created\) -> logistirio@hellas\.example$"
    assert re.search(hellas, statements, re.M)
    assert re.search(r"^ +tax 24 % +120\.00$", statements, re.M)
    assert re.search(r"^ +total due by \d{4}-\d{2}-\d{2} +620\.00$", statements, re.M)
    # and the plan advice staff get after them: Acme pays Professional's fee for a bug fix
    advice = report.split("Plan advice for Sep–Nov 2026, emailed to staff:\n")[1]
    assert advice.startswith("  Acme Ltd: $3,000.00 on Professional")
    assert "advise Basic, $1,500.00 less" in advice.splitlines()[0]


def test_dana_s_staff_reply_re_quotes_the_export_and_the_revised_quote_reaches_zoe(demo_db):
    # Given Zoe's request for a CSV export, quoted automatically as REQ-1002
    request = demo_db.scalars(sa.select(Request).where(Request.number == 1002)).one()
    assert request.contact_email == ZOE
    # When Dana replied in the thread with "#quote 6h due 2026-11-13" and a word for Zoe
    dana = inbound(demo_db, DANA_QUOTES)
    assert dana.request_id == request.id and dana.filing is Filing.FOLLOW_UP
    # Then the automatic quote was superseded by Dana's: 6 hours, due on the 13th
    quotes = demo_db.scalars(
        sa.select(Quote).where(Quote.request_id == request.id).order_by(Quote.version)
    ).all()
    assert [(q.version, q.status, q.created_by) for q in quotes] == [
        (1, "superseded", "intake"),
        (2, "approved", DANA),
    ]
    revised = quotes[1]
    assert (str(revised.hours.normalize()), str(revised.amount)) == ("6", "900.00")
    assert str(revised.complete_by) == "2026-11-13"
    # And her words with the revised quote were relayed to Zoe, in Zoe's thread, and sent
    [relay] = demo_db.scalars(
        sa.select(OutboundMessage).where(
            OutboundMessage.inbound_id == dana.id, OutboundMessage.kind == "staff_relay"
        )
    ).all()
    assert relay.recipients == [ZOE] and relay.state == "sent" and not relay.automatic
    mail = email.message_from_bytes(relay.raw, policy=default)
    body = mail.get_body(("plain",))
    assert body is not None
    text = body.get_content()
    assert "so our estimate is 6 hours" in " ".join(text.split())
    # under them the revised quote, in German as Zed reads it (her words are as she wrote them)
    assert "überarbeitetes Angebot" in text and "900,00\xa0$" in text
    assert mail["In-Reply-To"].strip() == f"<{ZOE_ASKS}>"  # folded: a long Message-ID
    assert mail["Reply-To"] == f"support+{revised.token}@agency.example"


def test_zoe_s_approval_approves_the_revised_quote_in_her_name(demo_db):
    # Given Dana's revised quote for REQ-1002, waiting for Zoe
    request = demo_db.scalars(sa.select(Request).where(Request.number == 1002)).one()
    # When Zoe replied "Approved, please go ahead."
    zoe = inbound(demo_db, ZOE_APPROVES)
    assert zoe.request_id == request.id and zoe.from_address == ZOE
    # Then the quote she was answering is approved, by her, with no PO (Zed needs none)
    quote = demo_db.scalars(
        sa.select(Quote).where(Quote.request_id == request.id, Quote.status == "approved")
    ).one()
    assert (quote.version, quote.approved_by, quote.po) == (2, ZOE, None)
    assert quote.approved_at is not None
    # And the move to approved is an event of hers, from her message
    [approval] = demo_db.scalars(
        sa.select(Event).where(Event.request_id == request.id, Event.to_status == Status.APPROVED)
    ).all()
    assert (approval.actor, approval.inbound_id, approval.from_status) == (
        ZOE,
        zoe.id,
        Status.QUOTED,
    )
    # And the work went on to be logged and closed by Dana
    assert request.status is Status.DONE


def test_each_statement_is_written_as_its_pdf_and_zed_reads_its_own_in_german(demo):
    # Given the sample month billed
    statements = demo.report.split("Statements for 2026-11")[1]
    # Then each client's statement PDF is in the demo's folder, and the report says where
    folder = demo.folder / "statements"
    written = sorted(path.name for path in folder.glob("*.pdf"))
    assert written == [f"{c}-2026-11.pdf" for c in ("acme", "globex", "hellas", "zed")]
    for path in folder.glob("*.pdf"):
        assert f"PDF: {path} (to " in statements
    assert f"PDF: {folder / 'hellas-2026-11.pdf'} (to {GREEK}, in English)" in statements
    # The Greek client's shows its name and address as written, with the invoice's
    # number, due date and tax
    hellas = pdf_text(folder / "hellas-2026-11.pdf")
    assert f"To: {GREEK}, Λογιστήριο, Ερμού 25, 105 63 Αθήνα, Tax ID EL 801234567" in hellas
    assert re.search(
        r"Invoice INV-\d{5}, issued \w{3} \d+ \w{3} 2026, due \w{3} \d+ \w{3} 2026", hellas
    )
    assert "Tax 24 %: $120.00" in hellas and "Total due: $620.00" in hellas
    # Zed GmbH reads German: its PDF is a Rechnung, its money and due date as German writes them
    zed = pdf_text(folder / "zed-2026-11.pdf")
    due = rf"fällig am {WEEKDAY}, \d+\. Dezember 2026"
    assert re.search(rf"Rechnung INV-\d{{5}} vom {WEEKDAY}, \d+\. Dezember 2026, {due}", zed)
    assert "Gesamtbetrag: 675,00\xa0$" in zed and "Steuerschuldnerschaft" in zed
    assert "Total due" not in zed and "Invoice" not in zed
    # and the report shows the newcomer what Zed reads: the invoice, its line and total due
    assert "(to Zed GmbH, in German), which reads:" in statements
    assert re.search(rf"^ +Rechnung INV-\d{{5}} vom .*, {due}$", statements, re.M)
    assert re.search(
        r"^ +REQ-1002 Could you add CSV export of orders\? +4,5\xa0Std\. +675,00\xa0\$$",
        statements,
        re.M,
    )
    assert re.search(r"^ +wie freigegeben berechnet$", statements, re.M)
    assert re.search(r"^ +Gesamtbetrag: 675,00\xa0\$$", statements, re.M)

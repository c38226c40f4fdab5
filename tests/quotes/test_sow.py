"""Statements of work: a client who wants it formal gets each quote also as a numbered PDF
(scope in their words and staff's, estimate, price, dates, purchase-order line, terms);
the numbers run without a gap; approving names the number; other clients get none."""

from __future__ import annotations

import email
import io
from datetime import UTC, datetime
from email.policy import default

import pypdf
import pytest
import sqlalchemy as sa

from intake.clients.models import Client
from intake.clients.service import parse_client, to_toml
from intake.errors import InvalidInput
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.quotes.sow import next_sow_number
from intake.requests.models import Request
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, message
from tests.pipeline import deliver

ZOE = "zoe@zed.example"
EXPORT = (
    "Could you add CSV export of orders?",
    "Could you add a CSV export of all orders, with the customer's name and the total?\n",
)


@pytest.fixture
def formal(session):
    """The example clients; Zed (no plan, purchase orders required) wants statements of work."""
    add_example_clients(session)
    zed = session.scalar(sa.select(Client).where(Client.slug == "zed"))
    zed.statement_of_work = True
    return zed


def ask(session, settings, sender=ZOE, name="Zoe Weber", request=EXPORT):
    subject, body = request
    outcome = deliver(
        session, settings, message(sender=sender, name=name, subject=subject, body=body)
    )
    assert outcome is not None
    return outcome


def to(session, outcome, address) -> email.message.EmailMessage:
    """The one email of ``outcome`` to ``address``."""
    rows = session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.id.in_(outcome.outbound_ids))
    ).all()
    [row] = [r for r in rows if address in r.recipients]
    return email.message_from_bytes(row.raw, policy=default)


def pdfs(mail) -> dict[str, str]:
    """Each PDF attachment's file name and its text."""
    found = {}
    for part in mail.iter_attachments():
        if part.get_content_type() == "application/pdf":
            reader = pypdf.PdfReader(io.BytesIO(part.get_content()))
            found[part.get_filename()] = "\n".join(p.extract_text() for p in reader.pages)
    return found


def test_a_quote_to_a_formal_client_carries_its_numbered_statement_of_work(
    session, settings, formal
):
    formal.name = "Ζεντ Ελληνική Εταιρεία"  # set in the PDF as written, not as "?"
    quote_mail = to(session, ask(session, settings), ZOE)
    assert "Statement of work: SOW-00001, attached" in quote_mail.get_body(("plain",)).get_content()
    [(name, text)] = pdfs(quote_mail).items()
    assert name == "SOW-00001.pdf"
    flat = " ".join(text.split())
    for expected in (
        "Statement of work SOW-00001",
        "REQ-1001: Could you add CSV export of orders?",
        "For Ζεντ Ελληνική Εταιρεία",
        "with the customer's name and the total?",  # the scope in the client's words
        "Estimate 4 h",
        "Charged 4 h at $150.00 an hour",
        "Price, at most $600.00",
        "Complete by",
        "Purchase order ____________________ (required)",  # Zed requires one
        "5. Acceptance.",
        "with your purchase-order number",
    ):
        assert expected in flat, expected
    assert session.scalar(sa.select(Quote.sow_number)) == "SOW-00001"


def test_numbers_run_on_without_a_gap_and_other_clients_take_none(session, settings, formal):
    ask(session, settings)
    acme = to(
        session, ask(session, settings, "alice@acme.example", "Alice Smith"), "alice@acme.example"
    )
    assert pdfs(acme) == {}  # Acme does not want statements of work
    second = to(session, ask(session, settings), ZOE)
    assert list(pdfs(second)) == ["SOW-00002.pdf"]
    numbers = session.scalars(sa.select(Quote.sow_number).order_by(Quote.id)).all()
    assert numbers == ["SOW-00001", None, "SOW-00002"]


def test_a_number_taken_by_a_filing_rolled_back_is_given_again(session, settings, formal):
    attempt = session.begin_nested()
    assert next_sow_number(session, settings) == "SOW-00001"
    attempt.rollback()
    assert next_sow_number(session, settings) == "SOW-00001"
    assert next_sow_number(session, settings) == "SOW-00002"


def test_a_new_quote_from_staff_gets_its_own_statement_with_their_notes_and_approval_names_it(
    session, settings, formal
):
    ask(session, settings)
    request = session.scalar(sa.select(Request))
    # Dana quotes again in the thread, with a word for Zoe
    reply = message(
        sender="dana@agency.example",
        name="Dana",
        subject=f"Re: [{request.ref}] {EXPORT[0]}",
        body="#quote 6h\n\nThe export needs a new report table first.\n",
        headers=STAFF_AUTH,
    )
    relayed = to(session, deliver(session, settings, reply), ZOE)
    [(name, text)] = pdfs(relayed).items()
    assert name == "SOW-00002.pdf"
    flat = " ".join(text.split())
    assert "quote v2" in flat and "Our notes: The export needs a new report table first." in flat
    assert "Price, at most $900.00" in flat
    # Zoe approves it with her purchase order: the receipt names the statement of work
    quote = session.scalars(sa.select(Quote).order_by(Quote.version.desc())).first()
    approval = message(
        sender=ZOE,
        name="Zoe Weber",
        to=f"support+{quote.token}@agency.example",
        subject=f"Re: [{request.ref}] {EXPORT[0]}",
        body="Approved, PO 5521\n",
        date=datetime.now(UTC),  # after the quote it answers
        headers={"Authentication-Results": "mx.agency.example; dmarc=pass header.from=zed.example"},
    )
    approved = to(session, deliver(session, settings, approval), ZOE)
    assert "Statement of work: SOW-00002, accepted" in approved.get_body(("plain",)).get_content()


def test_the_clients_file_says_who_wants_statements_of_work(session, formal):
    assert "statement_of_work = true" in to_toml([formal])
    spec = parse_client({"slug": "x", "statement_of_work": True}, "clients.toml", None)
    assert spec.statement_of_work
    with pytest.raises(InvalidInput, match="statement_of_work"):
        parse_client({"slug": "x", "statement_of_work": "yes"}, "clients.toml", None)

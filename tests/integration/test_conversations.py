"""Conversations end to end: clients and staff answer intake's emails the way a mail program
does, through a real Dovecot and an aiosmtpd sink; each step is checked at the sink and in
the database."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from email.message import EmailMessage
from email.utils import getaddresses

import pypdf
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from intake.clients.models import Client, Contact
from intake.db import transaction
from intake.quotes.models import Quote
from intake.requests.models import Event, Request, TimeEntry
from intake.requests.states import Status
from intake.settings import Settings
from tests.integration.test_poller import factory as factory
from tests.integration.test_replies import by_recipient, outbox, parsed
from tests.integration.test_replies import settings_for as settings_for
from tests.mailbuilder import message
from tests.servers.dovecot import Dovecot
from tests.servers.smtp import SmtpSink
from workers import runner

OUR_SERVER = "mx.agency.example"  # the authserv id intake trusts (the default setting)
DANA = "dana@agency.example"  # staff
ZOE = "zoe@zed.example"  # Zed: no plan, purchase orders required; may approve
BOB = "bob@zed.example"  # new at Zed's domain: becomes a contact who may not approve
MALLORY = "mallory@elsewhere.example"  # no client's domain
SAM = "sam@freemail.example"  # no client's domain, later filed under acme by staff
NAMES = {DANA: "Dana", ZOE: "Zoe Weber", BOB: "Bob Brandt", MALLORY: "Mallory", SAM: "Sam Lee"}

CSV_EXPORT = ("Could you add CSV export of orders?", "Could you add a CSV export of all orders?\n")
EXPORT_BROKEN = (
    "Order export is broken",
    "The order export has been broken since Monday and we have no workaround.\n",
)


def dmarc(result: str, sender: str, authserv: str = OUR_SERVER) -> str:
    """An Authentication-Results header value: DMARC ``result`` for the sender's domain."""
    return f"{authserv}; dmarc={result} (p=reject) header.from={sender.rpartition('@')[2]}"


def text(mail: EmailMessage) -> str:
    body = mail.get_body(("plain",))
    assert body is not None, f"no text part in {mail['Subject']!r}"
    return str(body.get_content())


def reply_to(
    received: EmailMessage,
    sender: str,
    body: str,
    auth: bool | str = True,
    date: datetime | None = None,
) -> bytes:
    """What a mail program sends when ``sender`` answers ``received``: to its Reply-To (else
    its From), "Re: " its subject, in its thread, the new text above the quoted original.

    Our receiving server's Authentication-Results: a DMARC pass when ``auth`` is True, the
    given value when it is a string, none when it is False.
    """
    thread = [*str(received.get("References", "")).split(), str(received["Message-ID"])]
    quoted = "".join(f"> {line}\n".replace("> \n", ">\n") for line in text(received).splitlines())
    header = dmarc("pass", sender) if auth is True else auth
    return message(
        sender=sender,
        name=NAMES.get(sender, ""),
        to=str(received["Reply-To"] or received["From"]),
        subject="Re: " + str(received["Subject"]),
        in_reply_to=str(received["Message-ID"]).strip("<>"),
        references=[mid.strip("<>") for mid in thread],
        body=f"{body}\n\nOn Mon, 2 Nov 2026 at 10:15, {received['From']} wrote:\n{quoted}",
        headers={"Authentication-Results": header} if header else {},
        date=date or datetime.now(UTC),  # after the email it answers
    )


@dataclass(frozen=True)
class QuoteRow:
    version: int
    status: str
    hours: Decimal
    amount: Decimal
    po: str | None
    approved_by: str | None
    complete_by: date | None


@dataclass(frozen=True)
class RequestState:
    """One request as the database holds it, read into plain values."""

    status: Status
    client: str | None
    type: str | None
    severity: str | None
    quotes: tuple[QuoteRow, ...]  # oldest first
    events: tuple[tuple[str, str, str], ...]  # kind, actor, detail
    time: tuple[tuple[Decimal, date, str], ...]  # hours, work date, note

    @property
    def quote(self) -> QuoteRow:
        return self.quotes[-1]

    @property
    def kinds(self) -> list[str]:
        return [kind for kind, _, _ in self.events]


@dataclass
class Conversation:
    """Mail in through Dovecot, one ``run --once``, and what this step sent at the sink."""

    dovecot: Dovecot
    sink: SmtpSink
    settings: Settings
    factory: sessionmaker[Session]

    def send(self, raw: bytes) -> None:
        self.sink.clear()
        self.dovecot.append(raw)
        runner.run_once(self.settings, timeout=60)

    def ask(self, sender: str = ZOE, request: tuple[str, str] = CSV_EXPORT) -> EmailMessage:
        """A new request from ``sender``; the one email it brings back to them."""
        subject, body = request
        self.send(message(sender=sender, name=NAMES[sender], subject=subject, body=body))
        return self.one(sender)

    def staff(self, received: EmailMessage, *lines: str) -> EmailMessage:
        """Dana answers ``received`` with these lines; the receipt she gets back."""
        self.send(reply_to(received, DANA, "\n".join(lines)))
        [receipt] = [m for m in self.to(DANA) if m["Subject"].startswith(RECEIPTS)]
        return receipt

    def to(self, address: str) -> list[EmailMessage]:
        return by_recipient(self.sink, address)

    def one(self, address: str) -> EmailMessage:
        [mail] = self.to(address)
        return mail

    def recipients(self) -> list[str]:
        """Who this step's emails went to, in order."""
        return [address for m in parsed(self.sink) for _, address in getaddresses([m["To"]])]

    def state(self, number: int = 1001) -> RequestState:
        with transaction(self.factory) as session:
            request = session.scalar(sa.select(Request).where(Request.number == number))
            assert request is not None, f"no REQ-{number}"
            quotes = session.scalars(
                sa.select(Quote).where(Quote.request_id == request.id).order_by(Quote.version)
            )
            events = session.execute(
                sa.select(Event.kind, Event.actor, Event.detail)
                .where(Event.request_id == request.id)
                .order_by(Event.id)
            )
            time = session.execute(
                sa.select(TimeEntry.hours, TimeEntry.work_date, TimeEntry.note)
                .where(TimeEntry.request_id == request.id)
                .order_by(TimeEntry.id)
            )
            return RequestState(
                status=request.status,
                client=request.client.slug if request.client else None,
                type=request.type.value if request.type else None,
                severity=request.severity.value if request.severity else None,
                quotes=tuple(
                    QuoteRow(
                        q.version, q.status, q.hours, q.amount, q.po, q.approved_by, q.complete_by
                    )
                    for q in quotes
                ),
                events=tuple((kind, actor, detail) for kind, actor, detail in events),
                time=tuple((hours, day, note) for hours, day, note in time),
            )


RECEIPTS = ("[REQ-1001] Done:", "[REQ-1001] Nothing applied:")


@pytest.fixture
def talk(dovecot, smtp_sink, settings_for, factory) -> Conversation:
    return Conversation(dovecot, smtp_sink, settings_for(), factory)


# ---- clients answer their quote ------------------------------------------------------------


def test_a_client_declines_the_quote(talk):
    # Given Zoe has a quote for new work
    quote = talk.ask()
    assert talk.state().status is Status.QUOTED
    # When she answers it "No thanks, not now"
    talk.send(reply_to(quote, ZOE, "No thanks, not now\n\nZoe"))
    # Then the request and its quote are declined, and she and staff are told
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.approved_by) == (
        Status.DECLINED,
        "declined",
        None,
    )
    told = talk.one(ZOE)
    assert told["Subject"].startswith("[REQ-1001] Declined")
    assert "nothing will be billed" in text(told)
    notice = talk.one(DANA)
    assert notice["Subject"].startswith("[REQ-1001] Declined")
    assert "No thanks, not now" in text(notice)


def test_zed_approves_only_with_a_purchase_order_number(talk):
    # Given Zoe's quote asks for a purchase-order number
    quote = talk.ask()
    assert "purchase-order number" in text(quote)
    # When she approves without one
    talk.send(reply_to(quote, ZOE, "Approved\n\nZoe"))
    # Then she is asked for it, in her thread, and the work still waits
    asked = talk.one(ZOE)
    assert asked["Subject"].startswith("[REQ-1001] Purchase-order number needed")
    assert talk.recipients() == [ZOE]
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.po) == (Status.QUOTED, "pending", None)
    assert seen.kinds[-1] == "po_needed"
    # When she answers that email with the number
    talk.send(reply_to(asked, ZOE, "Approved, PO 7781\n\nZoe"))
    # Then the quote is approved with the PO recorded, and she and staff are told
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.po, seen.quote.approved_by) == (
        Status.APPROVED,
        "approved",
        "7781",
        ZOE,
    )
    confirmed = talk.one(ZOE)
    assert confirmed["Subject"].startswith("[REQ-1001] Approved")
    assert "7781" in text(confirmed)
    assert "Approved" in talk.one(DANA)["Subject"]


def test_a_formal_client_gets_a_statement_of_work_with_its_quote_and_approves_it(talk):
    # Given Zed wants statements of work
    with transaction(talk.factory) as session:
        session.scalar(sa.select(Client).where(Client.slug == "zed")).statement_of_work = True
    # When Zoe asks for new work, her quote comes with SOW-00001 as a PDF
    quote = talk.ask()
    [sow] = [p for p in quote.iter_attachments() if p.get_content_type() == "application/pdf"]
    assert sow.get_filename() == "SOW-00001.pdf"
    words = " ".join(
        " ".join(
            page.extract_text() for page in pypdf.PdfReader(io.BytesIO(sow.get_content())).pages
        ).split()
    )
    assert "Statement of work SOW-00001" in words and "Price, at most $600.00" in words
    assert "Could you add a CSV export of all orders?" in words
    # When she approves with her purchase order, the confirmation names what she accepted
    talk.send(reply_to(quote, ZOE, "Approved, PO 7781\n\nZoe"))
    confirmed = talk.one(ZOE)
    assert "Statement of work: SOW-00001, accepted" in text(confirmed)
    assert talk.state().quote.status == "approved"


def test_an_approval_by_a_contact_who_may_not_approve_is_held_for_staff(talk):
    # Given Bob, new at Zed's domain, asked for work and got a quote
    quote = talk.ask(BOB)
    with transaction(talk.factory) as session:
        assert session.scalar(sa.select(Contact.can_approve).where(Contact.email == BOB)) is False
    # When he approves it, with a PO, from an authenticated address
    talk.send(reply_to(quote, BOB, "Approved, PO 7781\n\nBob"))
    # Then nothing is approved and staff are told why
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.po) == (Status.QUOTED, "pending", None)
    assert seen.kinds[-1] == "held"
    assert talk.recipients() == [DANA]
    notice = talk.one(DANA)
    assert notice["Subject"].startswith("[REQ-1001] Reply held")
    assert f"{BOB} may not approve work for zed" in text(notice)


def test_a_stranger_answering_in_the_thread_gets_nothing_and_staff_are_told(talk):
    # Given Zoe's quote was forwarded to someone outside Zed
    quote = talk.ask()
    # When they answer it "Approved"
    talk.send(reply_to(quote, MALLORY, "Approved, PO 7781"))
    # Then nothing goes to them, staff are told, and the quote still waits for Zed
    assert talk.recipients() == [DANA]
    notice = talk.one(DANA)
    assert notice["Subject"].startswith("[REQ-1001] Stranger in the thread")
    assert f"{MALLORY} wrote in the thread but is not a contact of its client" in text(notice)
    seen = talk.state()
    assert (seen.status, seen.quote.status) == (Status.QUOTED, "pending")
    assert seen.kinds[-1] == "stranger_reply"


def test_an_approval_our_server_did_not_authenticate_is_held_for_staff(talk):
    # Given Zoe has a quote
    quote = talk.ask()
    # When an approval "from Zoe" failed DMARC at our receiving server
    talk.send(reply_to(quote, ZOE, "Approved, PO 7781", auth=dmarc("fail", ZOE)))
    # Then nothing is approved and staff are told why
    assert talk.recipients() == [DANA]
    notice = talk.one(DANA)
    assert notice["Subject"].startswith("[REQ-1001] Reply held")
    assert f"dmarc=fail ({OUR_SERVER})" in text(notice)
    assert (talk.state().status, talk.state().quote.status) == (Status.QUOTED, "pending")
    # When another carries a pass written by a server that is not ours
    forged = dmarc("pass", ZOE, authserv="mx.forged.example")
    talk.send(reply_to(quote, ZOE, "Approved, PO 7781", auth=forged))
    # Then that is held too
    assert talk.recipients() == [DANA]
    assert f"no Authentication-Results from {OUR_SERVER}" in text(talk.one(DANA))
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.po) == (Status.QUOTED, "pending", None)
    assert seen.kinds.count("held") == 2


def test_an_approval_of_a_replaced_quote_gets_the_current_quote_back(talk):
    # Given Zoe's first quote, since replaced by Dana with an 8-hour one
    first = talk.ask()
    receipt = talk.staff(talk.one(DANA), "#quote 8h")
    assert "new quote v2" in text(receipt)
    second = talk.one(ZOE)
    assert "$1,200.00" in text(second)
    # When Zoe approves the first quote email
    talk.send(reply_to(first, ZOE, "Approved, PO 7781\n\nZoe"))
    # Then nothing is approved, and the current quote comes back to her
    seen = talk.state()
    assert [(q.version, q.status, q.po) for q in seen.quotes] == [
        (1, "superseded", None),
        (2, "pending", None),
    ]
    assert seen.status is Status.QUOTED
    again = talk.one(ZOE)
    assert "has been replaced by the one below" in text(again)
    assert "$1,200.00" in text(again)
    assert again["Reply-To"] == second["Reply-To"]


# ---- staff commands ------------------------------------------------------------------------


def test_staff_move_a_request_from_quote_to_done_by_replying(talk):
    # Given Zoe reports a broken export, read as a major bug and quoted (Zed has no plan)
    quote = talk.ask(ZOE, EXPORT_BROKEN)
    notice = talk.one(DANA)
    assert (talk.state().type, talk.state().severity) == ("bug", "major")

    # When Dana quotes it again, with a date four weeks on, and a word for Zoe
    due = date.today() + timedelta(weeks=4)
    receipt = talk.staff(
        notice, f"#quote 6h due {due}", "", "Hi Zoe,", "", "it needs a new exporter.", "Dana"
    )
    # Then Zoe gets her words and the new quote, from the support address, in her thread
    relay = talk.one(ZOE)
    assert relay["Subject"].startswith("[REQ-1001] Order export is broken")
    assert "support@agency.example" in relay["From"]
    assert relay["In-Reply-To"] == quote["In-Reply-To"]
    assert relay["Auto-Submitted"] is None  # a person wrote it
    body = text(relay)
    assert "it needs a new exporter." in body and "#quote" not in body
    assert "revised quote" in body and "$900.00" in body
    assert f"{due:%a} {due.day} {due:%b %Y}" in body
    seen = talk.state()
    assert [(q.version, q.status) for q in seen.quotes] == [(1, "superseded"), (2, "pending")]
    assert (seen.quote.hours, seen.quote.amount) == (Decimal("6"), Decimal("900.00"))
    assert seen.quote.complete_by == due
    assert relay["Reply-To"] == f"support+{_token(talk, 2)}@agency.example"
    # And Dana gets a receipt that says what was done
    assert receipt["Subject"].startswith("[REQ-1001] Done:")
    assert "new quote v2: 6h, 900.00" in text(receipt)
    assert f"Your text was sent to {ZOE}." in text(receipt)

    # When she corrects the classification
    receipt = talk.staff(receipt, "#type feature", "#severity minor")
    # Then it is corrected, and nothing goes to Zoe
    assert talk.recipients() == [DANA]
    assert "type is now feature (was bug" in text(receipt)
    assert "severity is now minor (was major" in text(receipt)
    seen = talk.state()
    assert (seen.type, seen.severity) == ("feature", "minor")
    assert seen.kinds[-2:] == ["correction", "correction"]

    # When she approves on Zoe's behalf with the PO, starts, and says so
    receipt = talk.staff(
        receipt, "#approve PO-4471", "#status in_progress", "", "Thanks Zoe, we have started."
    )
    # Then the quote is approved by Dana with the PO, work is under way, and Zoe is told
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.po, seen.quote.approved_by) == (
        Status.IN_PROGRESS,
        "approved",
        "PO-4471",
        DANA,
    )
    assert "Thanks Zoe, we have started." in text(talk.one(ZOE))
    assert "approved on the client's behalf" in text(receipt)

    # When she logs time and waits for Zoe
    receipt = talk.staff(
        receipt,
        "#log 1.5h 2026-11-02 new exporter written",
        "#status waiting_on_client",
        "",
        "Zoe, the new export is on staging: does it have every column you need?",
    )
    # Then the hours are on the request and Zoe is asked
    seen = talk.state()
    assert seen.time == ((Decimal("1.5"), date(2026, 11, 2), "new exporter written"),)
    assert seen.status is Status.WAITING_ON_CLIENT
    assert "the new export is on staging" in text(talk.one(ZOE))
    assert "1.5h logged for 2026-11-02" in text(receipt)

    # When she closes it with an internal note and words not meant for Zoe
    receipt = talk.staff(
        receipt,
        "#status done",
        "#note Zoe confirmed on the phone",
        "#internal",
        "",
        "Zoe said the columns are fine.",
    )
    # Then the request is done, the note is kept, and nothing reaches Zoe
    assert talk.recipients() == [DANA]
    seen = talk.state()
    assert seen.status is Status.DONE
    assert ("note", DANA, "Zoe confirmed on the phone") in seen.events
    assert "internal note added" in text(receipt)
    assert "Nothing was sent to the client." in text(receipt)
    # Every step of the way was an event by Dana, from quoted to done
    moves = [detail for kind, actor, detail in seen.events if kind == "status" and actor == DANA]
    assert len(moves) == 5  # new quote, approved, in progress, waiting, done
    assert all(m.state == "sent" for m in outbox(talk.factory))


def test_a_staff_message_with_a_mistake_applies_nothing(talk):
    # Given Zoe's request for a CSV export, quoted as a minor feature
    talk.ask()
    notice = talk.one(DANA)
    # When Dana logs hours she did not write as hours, with a word for Zoe
    receipt = talk.staff(notice, "#log lots", "", "Hi Zoe, we are on it.")
    # Then she is told what was wrong, and nothing is logged or sent to Zoe
    assert talk.recipients() == [DANA]
    assert receipt["Subject"].startswith("[REQ-1001] Nothing applied:")
    assert "#log needs hours such as 1.5h, 90m or 1:30, not 'lots'" in text(receipt)
    seen = talk.state()
    assert (seen.time, seen.status) == ((), Status.QUOTED)
    assert seen.kinds[-1] == "commands_refused"
    # When she sends a good command with a mistyped one
    receipt = talk.staff(receipt, "#severity major", "#severty minor")
    # Then neither is applied, and the receipt names the mistake
    assert talk.recipients() == [DANA]
    assert "unknown command #severty; did you mean #severity?" in text(receipt)
    assert talk.state().severity == "minor"


def test_a_forbidden_status_change_is_refused_and_a_decline_ends_the_request(talk):
    # Given Zoe's request is quoted
    talk.ask()
    notice = talk.one(DANA)
    # When Dana starts work that nobody approved, correcting the severity too
    receipt = talk.staff(notice, "#severity major", "#status in_progress")
    # Then nothing is applied and the receipt says why
    assert talk.recipients() == [DANA]
    assert receipt["Subject"].startswith("[REQ-1001] Nothing applied:")
    assert "REQ-1001 cannot go from quoted to in_progress" in text(receipt)
    seen = talk.state()
    assert (seen.status, seen.severity) == (Status.QUOTED, "minor")
    # When she declines it for Zoe, with a word for her
    receipt = talk.staff(receipt, "#decline", "", "Understood, we will leave it for now.")
    # Then the request and its quote are declined and Zoe gets the words
    seen = talk.state()
    assert (seen.status, seen.quote.status) == (Status.DECLINED, "declined")
    assert "Understood, we will leave it for now." in text(talk.one(ZOE))
    assert "declined" in text(receipt)
    # When she then marks the declined request done
    receipt = talk.staff(receipt, "#status done")
    # Then that is refused too
    assert "REQ-1001 cannot go from declined to done" in text(receipt)
    assert talk.state().status is Status.DECLINED


def test_an_unsure_request_waits_for_staff_and_one_reply_sends_its_quote(
    dovecot, smtp_sink, settings_for, factory
):
    # Given an agency that reviews every new request before quoting it
    talk = Conversation(dovecot, smtp_sink, settings_for(quotes={"review": "always"}), factory)
    # When Zoe asks for new work
    received = talk.ask(ZOE, CSV_EXPORT)
    # Then she is told it arrived and when she will hear from us, with no price yet
    assert received["Subject"] == f"[REQ-1001] {CSV_EXPORT[0]} — received"
    assert "cost and timeline shortly" in text(received) and "$" not in text(received)
    assert received["Auto-Submitted"] == "auto-replied"
    seen = talk.state()
    assert seen.status is Status.REVIEW
    assert [(q.version, q.status) for q in seen.quotes] == [(1, "suggested")]
    # and Dana gets the suggestion to send or correct
    notice = talk.one(DANA)
    assert "(review: not quoted yet)" in notice["Subject"] and "#send" in text(notice)
    # When Dana sends it as suggested
    receipt = talk.staff(notice, "#send")
    # Then Zoe has her quote, in her thread, to approve with her purchase order
    quote = talk.one(ZOE)
    assert quote["In-Reply-To"] == received["In-Reply-To"]
    assert "Our quote for REQ-1001" in text(quote) and "$600.00" in text(quote)
    assert "suggested quote sent" in text(receipt)
    seen = talk.state()
    assert seen.status is Status.QUOTED
    assert [(q.version, q.status) for q in seen.quotes] == [(1, "unsent"), (2, "pending")]
    talk.send(reply_to(quote, ZOE, "Approved, PO 5521"))
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.po) == (
        Status.APPROVED,
        "approved",
        "5521",
    )


def test_a_client_asks_for_status_hours_and_a_statement_by_email(talk):
    # Given Zoe has a quote waiting for her approval
    talk.ask(ZOE, CSV_EXPORT)
    # When she writes STATUS, then HOURS, then STATEMENT for a month never billed
    talk.send(message(sender=ZOE, name=NAMES[ZOE], subject="status", body="STATUS\n"))
    status = talk.one(ZOE)
    talk.send(message(sender=ZOE, name=NAMES[ZOE], subject="", body="hours\n\n-- \nZoe"))
    hours = talk.one(ZOE)
    talk.send(message(sender=ZOE, name=NAMES[ZOE], subject="", body="STATEMENT 2026-10"))
    statement = talk.one(ZOE)
    # Then each is answered to her alone, and none of them opened a request
    assert "REQ-1001  Could you add CSV export of orders?" in text(status)
    assert "waits for your approval" in text(status)
    assert "Billed so far:   0 h, $0.00" in text(hours)
    assert "there is no statement for October 2026" in text(statement)
    assert talk.recipients() == [ZOE]
    with transaction(talk.factory) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 1


def test_staff_file_a_held_strangers_message_under_a_client(talk):
    # Given a message from someone at no client's domain is held for triage
    talk.send(
        message(
            sender=SAM,
            name=NAMES[SAM],
            message_id="sam-1@freemail.example",
            subject="Checkout page is broken",
        )
    )
    assert talk.recipients() == [DANA]
    held = talk.one(DANA)
    assert held["Subject"].startswith("[REQ-1001] Held for triage")
    # When Dana files it under acme
    receipt = talk.staff(held, "#client acme")
    # Then it is Acme's request, answered to Sam in his own thread
    seen = talk.state()
    assert (seen.client, seen.status) == ("acme", Status.APPROVED)  # a bug: included
    answer = talk.one(SAM)
    assert answer["Subject"].startswith("[REQ-1001] Checkout page is broken")
    assert answer["In-Reply-To"] == "<sam-1@freemail.example>"
    assert "filed under acme" in text(receipt)
    # And Sam is now a contact of acme who may not approve
    with transaction(talk.factory) as session:
        contact = session.scalar(sa.select(Contact).where(Contact.email == SAM))
        assert contact is not None
        assert (contact.client.slug, contact.can_approve) == ("acme", False)


def test_a_staff_command_our_server_did_not_authenticate_is_not_applied(talk):
    # Given Zoe's request is quoted
    talk.ask()
    notice = talk.one(DANA)
    # When a message "from Dana" that failed DMARC at our server approves it
    talk.send(reply_to(notice, DANA, "#approve PO-4471", auth=dmarc("fail", DANA)))
    # Then nothing is approved
    seen = talk.state()
    assert (seen.status, seen.quote.status, seen.quote.approved_by) == (
        Status.QUOTED,
        "pending",
        None,
    )


def _token(talk: Conversation, version: int) -> str:
    with transaction(talk.factory) as session:
        return session.scalar(sa.select(Quote.token).where(Quote.version == version)) or ""

"""Replies to a quote move the work: approval with and without the PO, decline, a contact
who may not approve, failing or forged authentication, and unclear replies."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from intake.mail.models import Filing
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request
from intake.requests.states import Status
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, message
from tests.pipeline import deliver

PASS = "mx.agency.example; dkim=pass header.d=zed.example; dmarc=pass header.from=zed.example"


@pytest.fixture
def quoted(session, settings):
    """Zed (no plan, PO required) asked for a feature and was quoted."""
    add_example_clients(session)
    deliver(
        session,
        settings,
        message(
            sender="zoe@zed.example",
            name="Zoe Weber",
            message_id="ask@zed.example",
            subject="Could you add a CSV export?",
            body="Could you add a CSV export of orders?\n",
        ),
    )
    request = session.scalar(sa.select(Request))
    assert request.status is Status.QUOTED
    return request


@pytest.fixture
def reply(session, quoted) -> Callable[..., bytes]:
    """Zoe's mail program answering the quote email: in its thread, written after it."""
    quote_mail = session.scalar(sa.select(OutboundMessage).where(OutboundMessage.kind == "quote"))
    assert quote_mail is not None

    def write(text: str, sender: str = "zoe@zed.example", auth: str | None = PASS) -> bytes:
        return message(
            sender=sender,
            name="Zoe Weber",
            subject="Re: [REQ-1001] quote",
            in_reply_to=quote_mail.message_id,
            references=["ask@zed.example", quote_mail.message_id],
            body=text,
            headers={"Authentication-Results": auth} if auth else {},
            date=datetime.now(UTC),
        )

    return write


def kinds(session, outcome) -> list[str]:
    rows = session.scalars(
        sa.select(OutboundMessage.kind).where(OutboundMessage.id.in_(outcome.outbound_ids))
    )
    return sorted(rows)


def quote_of(session, request) -> Quote:
    return session.scalar(sa.select(Quote).where(Quote.request_id == request.id))


def test_an_approval_without_the_required_po_asks_for_it_then_takes_it(
    session, settings, quoted, reply
):
    first = deliver(session, settings, reply("Approved.\n"))
    assert first.filing is Filing.FOLLOW_UP and kinds(session, first) == ["po_needed"]
    assert quoted.status is Status.QUOTED and quote_of(session, quoted).status == "pending"
    second = deliver(session, settings, reply("Approved, PO 7781\n\nZoe\n"))
    quote = quote_of(session, quoted)
    assert quoted.status is Status.APPROVED
    assert (quote.status, quote.po, quote.approved_by) == ("approved", "7781", "zoe@zed.example")
    assert kinds(session, second) == ["approved", "staff_client_reply"]
    detail = [e.detail for e in quoted.events if e.to_status is Status.APPROVED]
    assert detail and "PO 7781" in detail[0]


def test_a_po_number_too_long_to_be_real_is_asked_for_again(session, settings, quoted, reply):
    # Given Zed, who must give a PO, When an approval carries a 100-character "PO number"
    outcome = deliver(session, settings, reply(f"Approved, PO {'7' * 100}\n\nZoe\n"))
    # Then it is no PO: the client is asked for one, and nothing is approved or parked
    assert outcome.filing is Filing.FOLLOW_UP and kinds(session, outcome) == ["po_needed"]
    assert quoted.status is Status.QUOTED and quote_of(session, quoted).po is None


def test_a_decline_declines(session, settings, quoted, reply):
    outcome = deliver(session, settings, reply("No thanks.\n"))
    assert quoted.status is Status.DECLINED and quote_of(session, quoted).status == "declined"
    assert kinds(session, outcome) == ["declined", "staff_client_reply"]


@pytest.mark.parametrize(
    "text",
    [
        "OK, approved, PO 7781\n\nLe 02/11/2026 à 10:16, Example Agency a écrit :\n",
        "Aprobado, PO 7781\n\nEl 2 nov 2026, a las 10:16, Example Agency escribió:\n",
        "Akkoord, PO 7781\n\nOp ma 2 nov 2026 om 10:16 schreef Example Agency:\n",
    ],
    ids=["fr", "es", "nl"],
)
def test_an_approval_above_a_french_spanish_or_dutch_attribution_approves(
    session, settings, quoted, text, reply
):
    # Given Zoe approves with her PO above the quote her mail program introduced in her language
    body = text + "> Reply approved to go ahead, or decline.\n"
    # When her reply is filed
    deliver(session, settings, reply(body))
    # Then the work is approved, not sent to staff as an approval that says more
    assert quoted.status is Status.APPROVED and quote_of(session, quoted).po == "7781"


@pytest.mark.parametrize(
    "text",
    [
        "Approved, but could you start on Monday?",
        "Approved if you also add PDF export",
        "Approved\nPending Board Review",  # a last line that is not Zoe's name
        "Approved for REQ-1003,",  # another request than this thread's REQ-1001
    ],
)
def test_an_unclear_reply_goes_to_staff_and_approves_nothing(
    session, settings, quoted, text, reply
):
    outcome = deliver(session, settings, reply(text + " PO 7781\n"))
    assert outcome.filing is Filing.FOLLOW_UP and quoted.status is Status.QUOTED
    assert kinds(session, outcome) == ["staff_client_reply"]


def test_a_contact_who_may_not_approve_is_held(session, settings, quoted, reply):
    # Bob is learnt from mail at Zed's domain: a contact, but not one who may approve.
    outcome = deliver(session, settings, reply("Approved, PO 1\n", sender="bob@zed.example"))
    assert outcome.filing is Filing.HELD and "may not approve" in outcome.reason
    assert quoted.status is Status.QUOTED and kinds(session, outcome) == ["staff_client_reply"]


@pytest.mark.parametrize(
    ("auth", "why"),
    [
        (None, "no Authentication-Results from mx.agency.example"),
        ("mx.agency.example; dkim=pass header.d=evil.example; dmarc=fail", "evil.example"),
        ("mx.forger.example; dmarc=pass header.from=zed.example", "no Authentication-Results"),
    ],
)
def test_an_approval_that_is_not_authenticated_is_held(session, settings, quoted, auth, why, reply):
    outcome = deliver(session, settings, reply("Approved, PO 7781\n", auth=auth))
    assert outcome.filing is Filing.HELD and why in outcome.reason
    assert quoted.status is Status.QUOTED


def test_without_required_authentication_the_sender_and_thread_suffice(
    session, make_settings, db_url, quoted, reply
):
    settings = make_settings(database_url=db_url, authentication={"required": False})
    deliver(session, settings, reply("Yes, go ahead. PO 7781\n", auth=None))
    assert quoted.status is Status.APPROVED


def requote_internally(session, settings) -> None:
    """Dana replaces the waiting quote with a 6 h one, telling the client nothing."""
    staff = message(
        sender="dana@agency.example",
        subject="Re: [REQ-1001] x",
        body="#quote 6h\n#internal\n",
        headers=STAFF_AUTH,
    )
    deliver(session, settings, staff)


def test_a_reply_to_a_superseded_quote_gets_the_current_one_back(session, settings, quoted):
    first = quote_of(session, quoted)
    requote_internally(session, settings)
    current = session.scalar(sa.select(Quote).where(Quote.status == "pending"))
    assert current.version == 2 and first.status == "superseded"
    # Zoe answers the old quote, through its reply address
    old = message(
        sender="zoe@zed.example",
        name="Zoe Weber",
        subject="Re: your quote",
        to=f"support+{first.token}@agency.example",
        body="Approved, PO 7781\n",
        headers={"Authentication-Results": PASS},
    )
    outcome = deliver(session, settings, old)
    assert quoted.status is Status.QUOTED and current.status == "pending"
    [again] = session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.id.in_(outcome.outbound_ids))
    ).all()
    assert (
        again.recipients == ["zoe@zed.example"]
        and f"support+{current.token}@".encode() in again.raw
    )
    # Answering the current one approves it
    new = message(
        sender="zoe@zed.example",
        name="Zoe Weber",
        subject="Re: your quote",
        to=f"support+{current.token}@agency.example",
        body="Approved, PO 7781\n",
        headers={"Authentication-Results": PASS},
        date=datetime.now(UTC),
    )
    deliver(session, settings, new)
    assert quoted.status is Status.APPROVED and current.status == "approved"


def test_a_reply_by_thread_alone_to_a_superseded_quote_is_not_taken_as_approval(
    session, settings, quoted
):
    # Given Zoe's first quote email, since replaced by a second quote
    first_mail = session.scalar(sa.select(OutboundMessage).where(OutboundMessage.kind == "quote"))
    requote_internally(session, settings)
    # When her mail program answers the first email at the plain support address
    old = message(
        sender="zoe@zed.example",
        name="Zoe Weber",
        subject="Re: your quote",
        in_reply_to=first_mail.message_id,
        body="Approved, PO 7781\n",
        headers={"Authentication-Results": PASS},
    )
    deliver(session, settings, old)
    # Then the thread tells which quote she answered: the old one, so nothing is approved
    assert quoted.status is Status.QUOTED
    assert [q.status for q in session.scalars(sa.select(Quote).order_by(Quote.version))] == [
        "superseded",
        "pending",
    ]


def test_a_yes_by_subject_alone_after_an_internal_re_quote_gets_the_new_quote_first(
    session, settings, quoted
):
    # Given Zed's quote v1, and Dana re-quoting at 6 hours in an internal reply (not sent)
    requote_internally(session, settings)
    # When Zoe answers by the subject's [REQ-1001] alone, naming no quote
    yes = message(
        sender="zoe@zed.example",
        name="Zoe Weber",
        subject="Re: [REQ-1001] Could you add a CSV export?",
        body="Approved, PO 7781\n",
        headers={"Authentication-Results": PASS},
    )
    outcome = deliver(session, settings, yes)
    # Then nothing is approved: she is sent the quote she has not seen, and staff read
    # her message as a comment
    assert quoted.status is Status.QUOTED
    latest = session.scalars(sa.select(Quote).order_by(Quote.version.desc())).first()
    assert latest.status == "pending"
    assert kinds(session, outcome) == ["staff_client_reply", "staff_relay"]

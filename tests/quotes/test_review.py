"""Unsure means staff look first: a request the classifier is unsure of is told it arrived,
staff get the suggested quote, and one reply (#send, or a correction) sends it."""

from __future__ import annotations

import email
from email.policy import default

import pytest
import sqlalchemy as sa

from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request
from intake.requests.states import RequestType, Severity, Status
from intake.views.requests import list_requests
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, message
from tests.pipeline import deliver

EXPORT = message(
    sender="zoe@zed.example",
    name="Zoe Weber",
    subject="Could you add an export?",
    body="Could you add a CSV export of the orders?\n",
)


def staff(text: str) -> bytes:
    return message(
        sender="dana@agency.example",
        name="Dana",
        subject="Re: [REQ-1001] Could you add an export?",
        body=text,
        headers=STAFF_AUTH,
    )


def sent(session, outcome) -> dict[str, OutboundMessage]:
    rows = session.scalars(
        sa.select(OutboundMessage).where(OutboundMessage.id.in_(outcome.outbound_ids))
    )
    return {row.kind: row for row in rows}


def plain(row: OutboundMessage) -> str:
    parsed = email.message_from_bytes(row.raw, policy=default)
    return f"{parsed['Subject']}\n{parsed.get_body(('plain',)).get_content()}"


@pytest.fixture
def reviewed(session, make_settings, db_url):
    """Settings that send every new request to review."""
    add_example_clients(session)
    return make_settings(database_url=db_url, quotes={"review": "always"})


def quotes(session) -> list[tuple[int, str]]:
    return [
        (q.version, q.status) for q in session.scalars(sa.select(Quote).order_by(Quote.version))
    ]


def test_a_request_in_review_is_acknowledged_and_staff_get_the_suggestion(session, reviewed):
    outcome = deliver(session, reviewed, EXPORT)
    request = session.scalar(sa.select(Request))
    assert request.status is Status.REVIEW
    assert quotes(session) == [(1, "suggested")]
    mails = sent(session, outcome)
    assert set(mails) == {"received", "staff_new_request"}
    told = plain(mails["received"])
    assert mails["received"].recipients == ["zoe@zed.example"]
    assert "[REQ-1001]" in told and "cost and timeline shortly" in told
    assert "$" not in told, "the client sees no price before staff do"
    notice = plain(mails["staff_new_request"])
    assert "review: not quoted yet" in notice and "#send" in notice
    suggested = session.scalar(sa.select(Quote))
    assert f"Suggested: {suggested.hours:g} h, ${suggested.amount}" in notice


def test_a_request_in_review_is_listed_as_review(session, reviewed):
    deliver(session, reviewed, EXPORT)
    [row] = list_requests(session)
    assert row["status"] == "review"
    assert row["ref"] == "REQ-1001"


def test_send_gives_the_client_the_suggested_quote(session, reviewed):
    deliver(session, reviewed, EXPORT)
    request = session.scalar(sa.select(Request))
    suggested = session.scalar(sa.select(Quote))
    outcome = deliver(session, reviewed, staff("#send\n"))
    assert request.status is Status.QUOTED
    assert quotes(session) == [(1, "unsent"), (2, "pending")]
    offered = session.scalar(sa.select(Quote).where(Quote.version == 2))
    assert (offered.hours, offered.amount) == (suggested.hours, suggested.amount)
    relay = plain(sent(session, outcome)["staff_relay"])
    assert f"${offered.amount}" in relay and "Our quote for REQ-1001" in relay
    assert "revised" not in relay, "the client never saw the suggestion"
    assert "suggested quote sent" in plain(sent(session, outcome)["staff_receipt"])


def test_a_correction_in_review_is_quoted_as_corrected_and_sent(session, reviewed):
    deliver(session, reviewed, EXPORT)
    request = session.scalar(sa.select(Request))
    outcome = deliver(session, reviewed, staff("#type bug\n#severity major\n"))
    assert (request.type, request.severity) == (RequestType.BUG, Severity.MAJOR)
    # Zed has no plan: a bug is billed hourly too, at the estimate for a major bug.
    assert request.status is Status.QUOTED
    assert quotes(session) == [(1, "unsent"), (2, "pending")]
    relay = plain(sent(session, outcome)["staff_relay"])
    assert "Our quote for REQ-1001" in relay


def test_send_is_refused_outside_review(session, settings):
    add_example_clients(session)
    deliver(session, settings, EXPORT)
    request = session.scalar(sa.select(Request))
    assert request.status is Status.QUOTED
    outcome = deliver(session, settings, staff("#send\n"))
    assert request.status is Status.QUOTED and quotes(session) == [(1, "pending")]
    assert "not in review" in plain(sent(session, outcome)["staff_receipt"])


def test_send_beside_a_correction_sends_the_corrected_quote_once(session, reviewed):
    deliver(session, reviewed, EXPORT)
    outcome = deliver(session, reviewed, staff("#send\n#severity critical\n"))
    assert quotes(session) == [(1, "unsent"), (2, "pending")]
    assert [m.kind for m in sent(session, outcome).values()].count("staff_relay") == 1


def test_uncertain_reviews_only_what_the_model_is_less_sure_of(session, make_settings, db_url):
    add_example_clients(session)
    # Measured first with review off: how sure the model is of this request.
    deliver(session, make_settings(database_url=db_url), EXPORT)
    first = session.scalar(sa.select(Request))
    sure = min(
        first.classification["type"]["confidence"], first.classification["severity"]["confidence"]
    )
    assert first.status is Status.QUOTED
    above = make_settings(
        database_url=db_url, quotes={"review": "uncertain", "review_below": round(sure + 0.01, 3)}
    )
    below = make_settings(
        database_url=db_url, quotes={"review": "uncertain", "review_below": round(sure - 0.01, 3)}
    )
    deliver(
        session,
        below,
        message(
            sender="zoe@zed.example",
            subject="Could you add an export?",
            body="Could you add a CSV export of the orders?\n",
        ),
    )
    deliver(
        session,
        above,
        message(
            sender="zoe@zed.example",
            subject="Could you add an export?",
            body="Could you add a CSV export of the orders?\n",
        ),
    )
    second, third = session.scalars(sa.select(Request).order_by(Request.id)).all()[1:]
    assert second.status is Status.QUOTED
    assert third.status is Status.REVIEW
    assert "quotes.review_below" in third.events[-1].detail


def test_staff_filing_held_mail_is_not_reviewed_again(session, reviewed):
    # Held mail staff file under a client (#client) is quoted at once: staff have seen it.
    deliver(
        session,
        reviewed,
        message(sender="pat@unknown.example", subject="Export please", body="Add an export?\n"),
    )
    held = session.scalar(sa.select(Request))
    assert held.status is Status.HELD
    deliver(session, reviewed, staff("#client zed\n"))
    assert held.status is Status.QUOTED


def test_a_new_quote_in_review_replaces_the_suggestion_and_is_sent(session, reviewed):
    deliver(session, reviewed, EXPORT)
    request = session.scalar(sa.select(Request))
    outcome = deliver(session, reviewed, staff("#quote 5h\nHi Zoe, here is our quote.\n"))
    assert request.status is Status.QUOTED
    assert quotes(session) == [(1, "unsent"), (2, "pending")]
    relay = plain(sent(session, outcome)["staff_relay"])
    assert "Hi Zoe, here is our quote." in relay and "$750.00" in relay
    assert "Our quote for REQ-1001" in relay


def test_in_review_an_internal_correction_stays_in_review_and_send_is_never_internal(
    session, reviewed
):
    deliver(session, reviewed, EXPORT)
    request = session.scalar(sa.select(Request))
    outcome = deliver(session, reviewed, staff("#type bug\n#internal\n"))
    assert request.status is Status.REVIEW and request.type is RequestType.BUG
    assert set(sent(session, outcome)) == {"staff_receipt"}
    outcome = deliver(session, reviewed, staff("#send\n#internal\n"))
    assert request.status is Status.REVIEW and quotes(session) == [(1, "suggested")]
    assert "conflicts with #send" in plain(sent(session, outcome)["staff_receipt"])


def test_a_request_in_review_is_not_left_waiting_on_the_client_without_a_quote(session, reviewed):
    # Staff ask the client a question by replying in review; the request stays there
    deliver(session, reviewed, EXPORT)
    request = session.scalar(sa.select(Request))
    outcome = deliver(session, reviewed, staff("#status waiting_on_client\nWhich columns?\n"))
    assert request.status is Status.REVIEW
    assert "cannot go from review to waiting_on_client" in plain(
        sent(session, outcome)["staff_receipt"]
    )
    deliver(session, reviewed, staff("Which columns do you need, Zoe?\n"))
    assert request.status is Status.REVIEW


def test_with_no_staff_to_look_nothing_waits_for_review(session, make_settings, db_url):
    add_example_clients(session)
    alone = make_settings(database_url=db_url, staff=[], quotes={"review": "always"})
    outcome = deliver(session, alone, EXPORT)
    assert session.scalar(sa.select(Request)).status is Status.QUOTED
    assert set(sent(session, outcome)) == {"quote"}

"""SLA checks over the database: a warning at 75 % and a breach notice, each sent once,
to the right people; the clocks pause on the client's turn; the daily digest."""

from __future__ import annotations

import email
import re
from datetime import datetime, timedelta
from email.policy import default
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from intake.outbox.models import OutboundMessage
from intake.requests import service as requests
from intake.requests.models import Request
from intake.requests.states import Severity, Status
from intake.sla import service as sla
from tests.factories import add_example_clients
from tests.mailbuilder import message
from tests.pipeline import deliver

LONDON = ZoneInfo("Europe/London")
TEAM = [
    {"email": "dana@agency.example", "name": "Dana"},
    {"email": "lee@agency.example", "name": "Lee", "lead": True},
]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026, London time; the 23rd is a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


@pytest.fixture
def team(make_settings, db_url):
    return make_settings(database_url=db_url, staff=TEAM)


def opened_at(session, request: Request, moment: datetime) -> None:
    """Pretend the request and everything that happened to it so far happened at ``moment``."""
    request.opened_at = moment
    for event in request.events:
        event.at = moment
    session.flush()


@pytest.fixture
def outage(session, team) -> Request:
    """Acme (professional: critical first response 2 h, resolution 1 d), a critical bug,
    free under the plan, approved at once, opened Monday 09:00."""
    add_example_clients(session)
    deliver(session, team, message(subject="Site down", body="The site is down for everyone!\n"))
    request = session.scalar(sa.select(Request))
    assert request.status is Status.APPROVED and request.severity.value == "critical"
    opened_at(session, request, at(23, 9))
    return request


def alerts(queued: list[OutboundMessage]) -> list[tuple[str, list[str]]]:
    return [(m.subject, m.recipients) for m in queued]


def test_a_warning_at_three_quarters_then_a_breach_to_the_leads_each_once(session, team, outage):
    assert sla.check(session, team, at(23, 10)) == []  # half the first-response time
    warned = sla.check(session, team, at(23, 10, 35))
    [(subject, to)] = alerts(warned)
    assert "SLA 79% used: first response" in subject and "[REQ-1001]" in subject
    assert to == ["dana@agency.example", "lee@agency.example"]  # nobody has acted on it yet
    assert sla.check(session, team, at(23, 10, 50)) == []  # not twice
    breached = sla.check(session, team, at(23, 11, 5))
    [(subject, to)] = alerts(breached)
    assert "SLA breached: first response" in subject and to == ["lee@agency.example"]
    assert sla.check(session, team, at(23, 12)) == []


def test_the_warning_goes_to_the_staff_working_on_it(session, team, outage):
    requests.move(session, outage, Status.IN_PROGRESS, actor="dana@agency.example")
    opened_at(session, outage, at(23, 9))
    [(_, to)] = alerts(sla.check(session, team, at(23, 10, 40)))
    assert to == ["dana@agency.example"]


def test_a_first_reply_stops_the_first_response_clock(session, team, outage):
    outage.first_response_at = at(23, 10)
    queued = sla.check(session, team, at(23, 17))
    # No word about the first response; the resolution clock (1 business day) is at 50 %
    assert queued == []
    [standing] = sla.open_standings(session, team, at(23, 17))
    assert standing.first_response.state == "met" and not standing.first_response.breached


def test_the_clocks_pause_while_waiting_on_the_client(session, team, outage):
    requests.move(session, outage, Status.WAITING_ON_CLIENT, actor="dana@agency.example")
    outage.events[-1].at = at(23, 9, 30)
    outage.first_response_at = at(23, 9, 30)
    # A day later the resolution clock has run only half an hour: no alert
    assert sla.check(session, team, at(24, 16)) == []
    [standing] = sla.open_standings(session, team, at(24, 16))
    assert standing.resolution.state == "paused" and standing.resolution.elapsed == timedelta(
        minutes=30
    )
    # When the client answers, it resumes where it stood
    requests.move(session, outage, Status.IN_PROGRESS, actor="alice@acme.example")
    outage.events[-1].at = at(25, 9)
    [standing] = sla.open_standings(session, team, at(25, 10))
    assert standing.resolution.elapsed == timedelta(minutes=90)
    assert standing.resolution.state == "running"


def test_a_quote_waiting_for_approval_still_wants_a_first_response_from_a_person(session, team):
    # Given Zed's feature (no plan: every hour is paid), quoted automatically Monday 09:00
    add_example_clients(session)
    deliver(
        session,
        team,
        message(
            sender="zoe@zed.example",
            subject="A booking system",
            body="Could you add a new booking system?\n",
        ),
    )
    request = session.scalar(sa.select(Request))
    assert request.status is Status.QUOTED and request.first_response_at is None
    opened_at(session, request, at(23, 9))
    # When nobody at the agency writes to Zed all week
    [standing] = sla.open_standings(session, team, at(27, 16))
    # Then the first response is overdue (the automatic quote is not one), while the work's
    # own clock waits for the approval
    assert standing.first_response.state == "running" and standing.first_response.breached
    assert standing.resolution.state == "paused"
    assert any("first response" in m.subject for m in sla.check(session, team, at(27, 16)))


def test_requests_sort_by_what_is_due_next(session, team, outage):
    deliver(session, team, message(subject="Typo on the about page", body="A small typo.\n"))
    typo = session.scalar(sa.select(Request).where(Request.number == 1002))
    opened_at(session, typo, at(23, 8))
    order = [s.request.ref for s in sla.open_standings(session, team, at(23, 9, 30))]
    assert order == ["REQ-1001", "REQ-1002"]  # the critical one falls due first


def acme_bug(session, settings, subject: str, severity: str, opened: datetime) -> Request:
    """Acme's bug of ``severity`` (free under their plan: approved at once), opened then."""
    deliver(session, settings, message(subject=subject, body=f"{subject}: please fix.\n"))
    request = session.scalars(sa.select(Request).order_by(Request.number.desc())).first()
    assert request is not None and request.status is Status.APPROVED
    request.severity = Severity(severity)
    opened_at(session, request, opened)
    return request


@pytest.fixture
def monday(session, team) -> list[Request]:
    """Acme's queue on Monday the 23rd at 10:00, in the order the requests came in. By what
    falls due next (first response: critical and major 2 h, minor 8 business hours):
    REQ-1005, overdue since Friday 11:00; REQ-1002 at 11:00; REQ-1004 at 11:30; REQ-1001,
    the oldest, at 16:00; REQ-1003 last: it has waited on the client since Friday 16:40,
    which pauses its clocks (running, it would have been due at 10:30)."""
    add_example_clients(session)
    typo = acme_bug(session, team, "Typo on the about page", "minor", at(20, 16))
    error = acme_bug(session, team, "Error 500 when saving a product", "major", at(23, 9))
    link = acme_bug(session, team, "Broken link in the footer", "major", at(20, 16, 30))
    requests.move(session, link, Status.WAITING_ON_CLIENT, actor="dana@agency.example")
    link.events[-1].at = at(20, 16, 40)
    down = acme_bug(session, team, "Site down", "critical", at(23, 9, 30))
    checkout = acme_bug(session, team, "Checkout down", "critical", at(20, 9))
    return [typo, error, link, down, checkout]


DUE_ORDER = ["REQ-1005", "REQ-1002", "REQ-1004", "REQ-1001", "REQ-1003"]


def test_what_is_due_next_comes_first_whatever_the_order_requests_came_in(session, team, monday):
    # Given Monday's queue, where the newest request is the most overdue and the oldest
    # is due last but one
    # When the requests are sorted at 10:00
    standings = sla.open_standings(session, team, at(23, 10))
    # Then the overdue one leads, then by when each falls due; the paused one is last
    assert [s.request.ref for s in standings] == DUE_ORDER
    assert [s.next_due for s in standings] == [
        at(20, 11),
        at(23, 11),
        at(23, 11, 30),
        at(23, 16),
        None,
    ]
    assert [s.breached for s in standings] == [True, False, False, False, False]


def test_a_paused_clock_takes_its_place_again_when_the_client_answers(session, team, monday):
    # Given Monday's queue, with REQ-1003 paused after 10 minutes of its 2 hours
    link = monday[2]
    # When Alice answers at 10:00
    requests.move(session, link, Status.IN_PROGRESS, actor="alice@acme.example")
    link.events[-1].at = at(23, 10)
    # Then its clock runs on from where it stood: due 1 h 50 min later, at 11:50
    standings = sla.open_standings(session, team, at(23, 10, 5))
    assert [s.request.ref for s in standings] == [
        "REQ-1005",
        "REQ-1002",
        "REQ-1004",
        "REQ-1003",
        "REQ-1001",
    ]
    assert standings[3].next_due == at(23, 11, 50)


def digest_text(digest: OutboundMessage) -> str:
    body = email.message_from_bytes(digest.raw, policy=default).get_body(("plain",))
    assert body is not None
    return body.get_content()


def test_the_digest_lists_open_requests_most_urgent_first(session, team, monday):
    # Given Monday's queue, and a request already done, which is not open
    done = acme_bug(session, team, "Login page broken", "critical", at(23, 8))
    requests.move(session, done, Status.DONE, actor="dana@agency.example")
    # When the day's digest is written at 10:00
    [digest, _] = sla.digest(session, team, at(23, 10))
    # Then it lists the open requests by urgency, the overdue one marked, the done one absent
    assert "Open requests, Mon 23 Nov 2026: 5" in digest.subject
    text = digest_text(digest)
    listed = re.findall(r"^(REQ-\d+)  acme  (\w+)  (\w+)$", text, flags=re.MULTILINE)
    assert listed == [
        ("REQ-1005", "critical", "approved"),
        ("REQ-1002", "major", "approved"),
        ("REQ-1004", "critical", "approved"),
        ("REQ-1001", "minor", "approved"),
        ("REQ-1003", "major", "waiting_on_client"),
    ]
    dues = re.findall(r"^    due: (.+)$", text, flags=re.MULTILINE)
    assert dues[0].startswith("OVERDUE since ") and not any("OVERDUE" in d for d in dues[1:])
    assert dues[-1] == "—"  # paused: it cannot fall due while the client has the turn


def test_the_daily_digest_goes_once_a_day(session, team, outage):
    digests = sla.digest(session, team, at(24, 8))
    assert [d.recipients for d in digests] == [["dana@agency.example"], ["lee@agency.example"]]
    text = digest_text(digests[0])
    assert "REQ-1001" in text and "critical" in text
    assert sla.digest(session, team, at(24, 12)) == []
    assert len(sla.digest(session, team, at(25, 8))) == 2


def test_each_member_of_staff_gets_nobodys_requests_first_then_their_own(session, team, monday):
    # Given Monday's queue, one request Dana's and one Lee's
    requests = {r.ref: r for r in session.scalars(sa.select(Request))}
    requests["REQ-1002"].owner = "dana@agency.example"
    requests["REQ-1004"].owner = "lee@agency.example"
    # When the day's digests are written
    dana, lee = (digest_text(d) for d in sla.digest(session, team, at(23, 10)))
    # Then Dana sees nobody's three, then her own, and not Lee's
    sections = re.split(r"\n(?=\S.*\(\d+\):\n)", dana)
    assert [s.splitlines()[0] for s in sections[1:]] == ["Nobody's yet (3):", "Yours (1):"]
    assert "REQ-1002" in sections[2] and "REQ-1004" not in dana
    # and Lee, a lead, sees everyone's, each with its owner
    assert "Everyone else's (1):" in lee and "REQ-1002  acme  major  approved  (dana)" in lee

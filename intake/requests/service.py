"""Opening requests, adding to them and moving them between statuses, each with an event."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.clients.models import Client
from intake.db import utcnow
from intake.errors import ForbiddenTransition, NotFound
from intake.mail.matching import HIGHEST_REQUEST_NUMBER
from intake.mail.models import InboundMessage
from intake.requests.models import Counter, Event, Request
from intake.requests.states import Status, can_move

SYSTEM = "intake"

# A client's reply puts these back in progress, with the reason recorded.
REOPENED_BY_CLIENT = {
    Status.DONE: "reopened by the client's reply",
    Status.WAITING_ON_CLIENT: "the client answered",
}


def next_number(session: Session) -> int:
    """The next request number. On PostgreSQL a sequence: workers never wait on each other
    (a number is skipped only when a filing rolls back). On SQLite, which lets one writer
    in at a time anyway, the counter row. In a dry run (``session.info["dry_run"]``), whose
    transaction is rolled back, the numbers the sequence would give, leaving it as it is."""
    with session.no_autoflush:  # a number needs nothing of this filing written first
        if session.get_bind().dialect.name == "postgresql":
            if session.info.get("dry_run"):
                return _previewed_number(session)
            return int(session.execute(sa.text("SELECT nextval('request_numbers')")).scalar_one())
        number = session.execute(
            sa.update(Counter)
            .where(Counter.name == "request")
            .values(value=Counter.value + 1)
            .returning(Counter.value)
        ).scalar_one()
    return int(number)


_NEXT_NUMBER = (
    "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM request_numbers"
)


def _previewed_number(session: Session) -> int:
    """The next number a dry run shows: nextval moves a sequence even when its transaction
    is rolled back, so the sequence is read, not moved, and this session counts on from it."""
    given = session.info.get("numbers_given", 0)
    following = session.execute(sa.text(_NEXT_NUMBER)).scalar_one()
    session.info["numbers_given"] = given + 1
    return int(following) + given


# A request filed this long after its mail arrived says so in its "opened" event: its SLA
# clocks ran meanwhile (intake was down or behind).
LATE = timedelta(minutes=5)


def _span(length: timedelta) -> str:
    """A length of time as staff read it: "3 days 4 h", "2 h 5 min", "7 min"."""
    minutes = int(length.total_seconds() // 60)
    days, hours, minutes = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} day{'s' if days > 1 else ''} {hours} h"
    return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def opening_time(received_at: datetime | None, now: datetime, within: float) -> datetime:
    """When a request opens, and so its clocks start: when its mail reached the mailbox, if
    that was at most ``within`` seconds ago (time intake was down counts against the SLA);
    else, or with a server clock ahead of ours, now."""
    if received_at is not None and now - timedelta(seconds=within) <= received_at <= now:
        return received_at
    return now


def open_request(
    session: Session,
    *,
    client: Client | None,
    contact_email: str,
    subject: str,
    inbound: InboundMessage | None,
    status: Status = Status.NEW,
    hold_reason: str | None = None,
    from_arrival_within: float = 0.0,
    opened_at: datetime | None = None,
) -> Request:
    """A new request, opened when ``inbound`` reached the mailbox if that was at most
    ``from_arrival_within`` seconds ago (see opening_time), else now; or at ``opened_at``
    (history, filed long after)."""
    now = utcnow()
    arrived = inbound.received_at if inbound is not None else None
    request = Request(
        number=next_number(session),
        client=client,
        contact_email=contact_email,
        subject=subject[:2000],
        status=status,
        hold_reason=hold_reason,
        # Set here, not at the flush: the quote's clocks start from it.
        opened_at=opened_at or opening_time(arrived, now, from_arrival_within),
        updated_at=now,
        events=[],  # new: nothing to load when its first event is added
    )
    # Not flushed here: it goes to the database with its events, quote and emails.
    session.add(request)
    detail = f"opened by {contact_email}"
    if now - request.opened_at >= LATE and opened_at is None:
        detail += f"; arrived {_span(now - request.opened_at)} before it was filed"
    detail += f"; held: {hold_reason}" if hold_reason else ""
    record(session, request, "opened", contact_email, inbound, detail, None, status)
    return request


def record(
    session: Session,
    request: Request,
    kind: str,
    actor: str,
    inbound: InboundMessage | None,
    detail: str = "",
    from_status: Status | None = None,
    to_status: Status | None = None,
) -> Event:
    event = Event(
        kind=kind,
        actor=actor,
        inbound_id=inbound.id if inbound is not None else None,
        detail=detail,
        from_status=from_status,
        to_status=to_status,
    )
    request.events.append(event)  # keeps the loaded history current for the SLA clocks
    return event


def move(
    session: Session,
    request: Request,
    target: Status,
    *,
    actor: str,
    inbound: InboundMessage | None = None,
    detail: str = "",
) -> None:
    """Change the status, if the lifecycle allows it, and record who and why; a request
    moved to done is closed now."""
    current = request.status
    if not can_move(current, target):
        raise ForbiddenTransition(f"{request.ref} cannot go from {current} to {target}")
    request.status = target
    if target is Status.DONE:
        request.closed_at = utcnow()
    record(session, request, "status", actor, inbound, detail, current, target)


def add_follow_up(
    session: Session, request: Request, inbound: InboundMessage, actor: str, *, reopen: bool
) -> None:
    """A reply in the thread; a client's reply to finished work reopens it."""
    record(session, request, "follow_up", actor, inbound, f"reply from {actor}")
    why = REOPENED_BY_CLIENT.get(request.status) if reopen else None
    if why is not None:
        move(session, request, Status.IN_PROGRESS, actor=actor, inbound=inbound, detail=why)


def parse_ref(ref: str) -> int:
    text = ref.strip().upper().removeprefix("REQ-")
    if not (text.isascii() and text.isdigit()):
        raise NotFound(f"not a request reference: {ref!r} (expected REQ-1042)")
    if int(text) > HIGHEST_REQUEST_NUMBER:
        raise NotFound(f"no request {ref}")
    return int(text)


def get_by_ref(session: Session, ref: str) -> Request:
    request = session.scalar(sa.select(Request).where(Request.number == parse_ref(ref)))
    if request is None:
        raise NotFound(f"no request {ref}")
    return request

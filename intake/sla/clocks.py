"""A request's SLA clocks: business time run while it is the agency's turn, paused while
it waits on the client. Pure: the status history and the business hours in, a reading out.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from intake.plans import Target
from intake.requests.states import Status
from intake.sla.business_hours import BusinessHours, add_business_time, business_time_between, due

# The client's turn: the clocks stand still. A quote waiting for approval stops only the
# resolution clock: the automatic quote is no response from a person, so the first-response
# clock runs on through it.
WAITING_ON_CLIENT = frozenset({Status.QUOTED, Status.WAITING_ON_CLIENT})
FIRST_RESPONSE_WAITS_ON = frozenset({Status.WAITING_ON_CLIENT})
# Nobody's turn: the resolution clock has stopped (until a reply reopens the request).
CLOSED = frozenset({Status.DONE, Status.DECLINED})
WARN_AT = 0.75


@dataclass(frozen=True)
class Reading:
    """Where one clock stands at ``now``."""

    target: timedelta  # business time allowed
    elapsed: timedelta  # business time run so far
    state: str  # running | paused | met | closed
    due_at: datetime | None  # when it runs (or ran) out; None while it cannot run out

    @property
    def fraction(self) -> float:
        if self.target <= timedelta(0):
            return 1.0
        return self.elapsed / self.target

    @property
    def breached(self) -> bool:
        return self.elapsed > self.target or (
            self.state in ("running", "paused") and self.elapsed >= self.target
        )

    @property
    def warned(self) -> bool:
        return self.fraction >= WARN_AT


def allowed(start: datetime, target: Target, hours: BusinessHours) -> timedelta:
    """The business time a target grants, read as the quote reads it from ``start``.

    "2h" is two hours; "1d" is the business time up to closing on the next business day,
    so a clock that never pauses falls due exactly when the quote said.
    """
    return business_time_between(start, due(start, target, hours), hours)


def running_spans(
    opened_at: datetime,
    changes: Sequence[tuple[datetime, Status]],
    until: datetime,
    pauses: frozenset[Status],
) -> list[tuple[datetime, datetime]]:
    """The stretches between ``opened_at`` and ``until`` when the status is not in ``pauses``.

    ``changes`` is the status history (when, new status) in order; before the first one the
    request is new, and new is the agency's turn.
    """
    spans: list[tuple[datetime, datetime]] = []
    status, since = Status.NEW, opened_at
    for at, to in [*changes, (until, Status.NEW)]:
        at = min(max(at, opened_at), until)
        if status not in pauses and at > since:
            spans.append((since, at))
        status, since = to, max(since, at)
    return spans


def read(
    opened_at: datetime,
    changes: Sequence[tuple[datetime, Status]],
    target: Target,
    hours: BusinessHours,
    now: datetime,
    *,
    stopped_at: datetime | None = None,
    waiting: frozenset[Status] = WAITING_ON_CLIENT,
) -> Reading:
    """One clock from ``opened_at``, standing still while the client has the turn (a status
    in ``waiting``) and while the request is done or declined. The first-response clock
    stops for good at ``stopped_at``, the first reply the client saw from a person."""
    length = allowed(opened_at, target, hours)
    until = min(now, stopped_at) if stopped_at is not None else now
    spans = running_spans(opened_at, changes, until, waiting | CLOSED)
    elapsed, due_at = timedelta(0), None
    for begin, end in spans:
        run = business_time_between(begin, end, hours)
        if due_at is None and elapsed + run >= length:
            due_at = add_business_time(begin, length - elapsed, hours)
        elapsed += run
    current = changes[-1][1] if changes else Status.NEW
    if stopped_at is not None and stopped_at <= now:
        state = "met"
    elif current in CLOSED:
        state = "closed"
    elif current in waiting:
        state = "paused"
    else:
        state = "running"
        if due_at is None:
            due_at = add_business_time(now, length - elapsed, hours)
    return Reading(length, elapsed, state, due_at)

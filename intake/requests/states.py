"""A request's lifecycle: the statuses and the one table of allowed transitions."""

from __future__ import annotations

import enum


class Status(enum.StrEnum):
    NEW = "new"
    HELD = "held"
    REVIEW = "review"  # quoted by intake, unsure: staff look before the client sees it
    QUOTED = "quoted"
    APPROVED = "approved"
    IN_PROGRESS = "in_progress"
    WAITING_ON_CLIENT = "waiting_on_client"
    DONE = "done"
    DECLINED = "declined"


class RequestType(enum.StrEnum):
    BUG = "bug"
    FEATURE = "feature"
    SECURITY = "security"
    QUESTION = "question"


class Severity(enum.StrEnum):
    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"


S = Status

# Where a request may go from each status. A client's reply to a done request
# reopens it; a declined request can be quoted again by staff; held mail staff dealt
# with themselves (a call, a forward) may be closed as done; a request in review is
# quoted by staff, or held, declined or closed: never waiting on the client or in
# progress before the client has a quote (staff ask a question by replying, in review).
TRANSITIONS: dict[Status, frozenset[Status]] = {
    S.NEW: frozenset({S.HELD, S.REVIEW, S.QUOTED, S.APPROVED, S.DECLINED}),
    S.HELD: frozenset({S.NEW, S.QUOTED, S.APPROVED, S.DECLINED, S.DONE}),
    S.REVIEW: frozenset({S.QUOTED, S.APPROVED, S.HELD, S.DECLINED, S.DONE}),
    S.QUOTED: frozenset({S.QUOTED, S.APPROVED, S.DECLINED, S.HELD}),
    S.APPROVED: frozenset({S.QUOTED, S.IN_PROGRESS, S.WAITING_ON_CLIENT, S.DONE}),
    S.IN_PROGRESS: frozenset({S.QUOTED, S.WAITING_ON_CLIENT, S.DONE}),
    S.WAITING_ON_CLIENT: frozenset({S.QUOTED, S.IN_PROGRESS, S.DONE}),
    S.DONE: frozenset({S.IN_PROGRESS}),
    S.DECLINED: frozenset({S.QUOTED, S.APPROVED}),
}

OPEN = frozenset(Status) - {S.DONE, S.DECLINED}


def can_move(current: Status, target: Status) -> bool:
    """Whether a request in ``current`` may move to ``target``."""
    return target in TRANSITIONS[current]

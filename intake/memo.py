"""Lookups remembered for the length of one filing job filed together (one transaction,
all or none; see ``intake.filing.service.file_together``): the same sender or estimate looked
up once a job, not once a message.

Only that path remembers anything. A job filed together that fails is rolled back whole
and its session thrown away with what it remembered; a savepoint rolled back inside a
longer transaction could leave a remembered row that no longer exists, so the one-by-one
path remembers nothing. Whatever may change what is remembered (staff commands add
contacts and close work) calls :func:`forget`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Hashable, Iterator
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")

_KEY = "intake.memo"


@contextlib.contextmanager
def remembering(session: Session) -> Iterator[None]:
    session.info[_KEY] = {}
    try:
        yield
    finally:
        session.info.pop(_KEY, None)


def _memo(session: Session) -> dict[Hashable, Any] | None:
    return session.info.get(_KEY)


def recall(session: Session, key: Hashable, look_up: Callable[[], T]) -> T:
    """``look_up()``, once a job while remembering; every time otherwise."""
    memo = _memo(session)
    if memo is None:
        return look_up()
    if key not in memo:
        memo[key] = look_up()
    return memo[key]


def add(session: Session, key: Hashable, amount: int) -> None:
    """Add to a remembered count, if it is remembered (a row this job wrote that the
    count covers)."""
    memo = _memo(session)
    if memo is not None and key in memo:
        memo[key] += amount


def forget(session: Session) -> None:
    memo = _memo(session)
    if memo is not None:
        memo.clear()

"""Which request a reply belongs to: pure rules over the clues a message carries.

The order is fixed by DESIGN: In-Reply-To/References against the Message-IDs intake
recorded (one that points at more than one request is no evidence), then the ``[REQ-n]``
reference in the subject (only when the sender belongs to that request's client, or is
staff), then the plus-address token of a quote.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

SUBJECT_REF = re.compile(r"\[\s*REQ-(\d{1,12})\s*\]", re.IGNORECASE)
# Request numbers are stored as 32-bit integers: a larger [REQ-n] names no request, and
# must never reach a query (PostgreSQL refuses the number itself).
HIGHEST_REQUEST_NUMBER = 2**31 - 1


@dataclass(frozen=True)
class Clues:
    """What in a message can tie it to a request."""

    message_ids: tuple[str, ...]  # In-Reply-To first, then References newest first
    subject_numbers: tuple[int, ...]
    tokens: tuple[str, ...]


@dataclass(frozen=True)
class KnownRequest:
    id: int
    number: int
    client_id: int | None


@dataclass(frozen=True)
class Match:
    request_id: int
    via: str  # message_id | subject | token
    clue: str


def clues_of(
    in_reply_to: Iterable[str],
    references: Iterable[str],
    subject: str,
    recipients: Iterable[str],
    support_address: str | Iterable[str],
) -> Clues:
    ids: list[str] = []
    for mid in (*in_reply_to, *reversed(tuple(references))):
        if mid and mid not in ids:
            ids.append(mid)
    numbers = tuple(
        dict.fromkeys(
            number
            for number in map(int, SUBJECT_REF.findall(subject))
            if number <= HIGHEST_REQUEST_NUMBER
        )
    )
    return Clues(tuple(ids), numbers, plus_tokens(recipients, support_address))


def by_message_id(pairs: Iterable[tuple[str, KnownRequest]]) -> dict[str, KnownRequest]:
    """The request each recorded Message-ID points at, leaving out any Message-ID that
    points at more than one: some mailers reuse one id for every message they send, and
    such an id says nothing about which request a reply continues."""
    seen: dict[str, set[KnownRequest]] = {}
    for mid, known in pairs:
        seen.setdefault(mid, set()).add(known)
    return {mid: next(iter(found)) for mid, found in seen.items() if len(found) == 1}


def plus_tokens(recipients: Iterable[str], support: str | Iterable[str]) -> tuple[str, ...]:
    """Tokens of ``support+<token>@domain`` among the recipients, in order; ``support``:
    the support address, or each of several (one per mailbox)."""
    ours = {support.lower()} if isinstance(support, str) else {a.lower() for a in support}
    found: list[str] = []
    for address in recipients:
        r_local, _, r_domain = address.lower().partition("@")
        base, plus, token = r_local.partition("+")
        if plus and f"{base}@{r_domain}" in ours and token and token not in found:
            found.append(token)
    return tuple(found)


def choose_thread(
    clues: Clues,
    *,
    by_message_id: Mapping[str, KnownRequest],
    by_number: Mapping[int, KnownRequest],
    by_token: Mapping[str, KnownRequest],
    sender_client_id: int | None,
    sender_is_staff: bool,
) -> Match | None:
    """The request this message continues, or None for a new one."""
    for step in STEPS:
        match = step(clues, by_message_id, by_number, by_token, sender_client_id, sender_is_staff)
        if match is not None:
            return match
    return None


def _by_message_id(
    clues: Clues,
    by_message_id: Mapping[str, KnownRequest],
    _by_number: Mapping[int, KnownRequest],
    _by_token: Mapping[str, KnownRequest],
    _client: int | None,
    _staff: bool,
) -> Match | None:
    for mid in clues.message_ids:
        known = by_message_id.get(mid)
        if known is not None:
            return Match(known.id, "message_id", mid)
    return None


def _by_subject(
    clues: Clues,
    _by_message_id: Mapping[str, KnownRequest],
    by_number: Mapping[int, KnownRequest],
    _by_token: Mapping[str, KnownRequest],
    sender_client_id: int | None,
    sender_is_staff: bool,
) -> Match | None:
    for number in clues.subject_numbers:
        known = by_number.get(number)
        if known is None:
            continue
        # Anyone can type [REQ-n]: only the request's own client (or staff) may use it.
        if sender_is_staff or (
            sender_client_id is not None and known.client_id == sender_client_id
        ):
            return Match(known.id, "subject", f"REQ-{number}")
    return None


def _by_token(
    clues: Clues,
    _by_message_id: Mapping[str, KnownRequest],
    _by_number: Mapping[int, KnownRequest],
    by_token: Mapping[str, KnownRequest],
    _client: int | None,
    _staff: bool,
) -> Match | None:
    for token in clues.tokens:
        known = by_token.get(token)
        if known is not None:
            return Match(known.id, "token", token)
    return None


Step = Callable[
    [
        Clues,
        Mapping[str, KnownRequest],
        Mapping[int, KnownRequest],
        Mapping[str, KnownRequest],
        int | None,
        bool,
    ],
    Match | None,
]

STEPS: tuple[Step, ...] = (_by_message_id, _by_subject, _by_token)

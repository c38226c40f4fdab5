"""Which request a message belongs to: the database lookups under the pure threading rules
of ``intake.mail.matching``."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.clients.senders import Author, Sender
from intake.mail.matching import (
    Clues,
    KnownRequest,
    Match,
    by_message_id,
    choose_thread,
    clues_of,
)
from intake.mail.models import InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request
from intake.settings import Settings


def thread_clues(settings: Settings, mail: InboundMail) -> Clues:
    return clues_of(
        mail.in_reply_to,
        mail.references,
        mail.subject,
        (*mail.to, *mail.cc),
        settings.own_addresses,
    )


def may_thread(settings: Settings, mail: InboundMail) -> bool:
    """Whether anything in the message could tie it to a request already filed."""
    clues = thread_clues(settings, mail)
    return bool(clues.message_ids or clues.subject_numbers or clues.tokens)


def find_thread(
    session: Session, settings: Settings, mail: InboundMail, sender: Sender | None
) -> Match | None:
    clues = thread_clues(settings, mail)
    recorded: dict[str, KnownRequest] = {}
    if clues.message_ids:
        ours = session.execute(
            sa.select(OutboundMessage.message_id, OutboundMessage.request_id).where(
                OutboundMessage.message_id.in_(clues.message_ids),
                OutboundMessage.request_id.is_not(None),
            )
        ).all()
        theirs = session.execute(
            sa.select(InboundMessage.message_id, InboundMessage.request_id).where(
                InboundMessage.message_id.in_(clues.message_ids),
                InboundMessage.request_id.is_not(None),
            )
        ).all()
        pairs = [(mid, rid) for mid, rid in (*ours, *theirs) if mid and rid is not None]
        known = _known(session, {rid for _, rid in pairs})
        recorded = by_message_id((mid, known[rid]) for mid, rid in pairs if rid in known)
    by_number: dict[int, KnownRequest] = {}
    if clues.subject_numbers:
        rows = session.scalars(
            sa.select(Request).where(Request.number.in_(clues.subject_numbers))
        ).all()
        by_number = {r.number: KnownRequest(r.id, r.number, r.client_id) for r in rows}
    by_token: dict[str, KnownRequest] = {}
    if clues.tokens:
        quoted = session.execute(
            sa.select(Quote.token, Quote.request_id).where(Quote.token.in_(clues.tokens))
        ).all()
        known = _known(session, {rid for _, rid in quoted})
        by_token = {token: known[rid] for token, rid in quoted if rid in known}
    return choose_thread(
        clues,
        by_message_id=recorded,
        by_number=by_number,
        by_token=by_token,
        sender_client_id=sender.client.id if sender and sender.client else None,
        sender_is_staff=sender is not None and sender.author is Author.STAFF,
    )


def _known(session: Session, ids: set[int]) -> dict[int, KnownRequest]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Request.id, Request.number, Request.client_id).where(Request.id.in_(ids))
    ).all()
    return {rid: KnownRequest(rid, number, client_id) for rid, number, client_id in rows}

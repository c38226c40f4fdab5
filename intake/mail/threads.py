"""Which request a message belongs to, and which of its quotes a reply answers: the
database lookups under the pure threading rules of ``intake.mail.matching``."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from email.policy import compat32

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
    plus_tokens,
)
from intake.mail.models import InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request
from intake.settings import Settings

# Reads only the header block of one of our stored emails (its Reply-To).
HEADERS = BytesHeaderParser(policy=compat32)


def thread_clues(settings: Settings, mail: InboundMail) -> Clues:
    return clues_of(
        mail.in_reply_to,
        mail.references,
        mail.subject,
        (*mail.to, *mail.cc),
        settings.support_address,
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


def quote_replied_to(
    session: Session, settings: Settings, mail: InboundMail, request: Request
) -> Quote | None:
    """The quote of this request a reply answers: the token of the address it was sent to
    (support+<token>@...), else the token of the Reply-To of our email it answers."""
    tokens = list(plus_tokens((*mail.to, *mail.cc), settings.support_address))
    ids = [i for i in (*mail.in_reply_to, *reversed(mail.references)) if i]
    if not tokens and ids:
        ours = dict(
            session.execute(
                sa.select(OutboundMessage.message_id, OutboundMessage.raw).where(
                    OutboundMessage.message_id.in_(ids),
                    OutboundMessage.request_id == request.id,
                )
            ).all()
        )
        for message_id in ids:
            if message_id in ours:
                reply_to = HEADERS.parsebytes(ours[message_id])["Reply-To"] or ""
                tokens = list(plus_tokens([reply_to], settings.support_address))
                break
    for token in tokens:
        quote = session.scalar(
            sa.select(Quote).where(Quote.token == token, Quote.request_id == request.id)
        )
        if quote is not None:
            return quote
    return None


def _known(session: Session, ids: set[int]) -> dict[int, KnownRequest]:
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Request.id, Request.number, Request.client_id).where(Request.id.in_(ids))
    ).all()
    return {rid: KnownRequest(rid, number, client_id) for rid, number, client_id in rows}

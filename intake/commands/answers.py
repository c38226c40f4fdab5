"""What a staff reply sends: the staff member's words relayed to the client, and the
receipt that tells the sender what was applied or refused."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import sqlalchemy as sa

from intake.db import utcnow
from intake.mail.models import InboundMessage
from intake.outbox.models import OutboundMessage
from intake.outbox.service import Thread, over_the_cap, plus_address, queue_email
from intake.quotes.emails import client_language, quote_offer
from intake.quotes.models import Quote
from intake.quotes.sow import sow_attachments
from intake.requests.incoming import Incoming
from intake.settings import Settings


def _names(settings: Settings, staff: str) -> set[str]:
    """What a staff member signs with: their address, its local part, name, first name."""
    names = {staff.lower(), staff.partition("@")[0].lower()}
    for member in settings.staff:
        if member.email == staff and member.name:
            names |= {member.name.lower(), member.name.split()[0].lower()}
    return names


def _words(line: str) -> str:
    return line.replace("\u200b", "").replace("\ufeff", "").strip(" \t-_=*~.,")


def says_something(settings: Settings, staff: str, text: str) -> bool:
    """Whether the text left for the client is more than the staff member's name, rules
    and invisible characters ("#log 1h fixed" then "Dana": no email of just "Dana")."""
    names = _names(settings, staff)
    return any(_words(line) and _words(line).lower() not in names for line in text.splitlines())


def signed(settings: Settings, staff: str, text: str) -> bool:
    """Whether the text ends with the staff member's own name (then the relay does not
    sign it a second time)."""
    lines = [_words(line) for line in text.splitlines() if _words(line)]
    return bool(lines) and lines[-1].lower() in _names(settings, staff)


def relay(msg: Incoming, text: str, quote: Quote | None = None) -> OutboundMessage:
    """The staff member's words to the client, from the support address, in the thread
    of the client's own messages: a human reply, not an automatic one."""
    session, settings, request, staff = msg.session, msg.settings, msg.request, msg.sender.address
    name = next((m.name for m in settings.staff if m.email == staff and m.name), staff)
    last = session.scalar(
        sa.select(InboundMessage)
        .where(
            InboundMessage.request_id == request.id,
            InboundMessage.from_address == request.contact_email,
        )
        .order_by(InboundMessage.id.desc())
    )
    attached = sow_attachments(session, settings, request, quote, text) if quote else []
    offer = quote_offer(quote, request) if quote is not None else None
    return queue_email(
        session,
        settings,
        "staff_relay",
        [request.contact_email],
        {
            "subject": request.subject,
            "text": text,
            "staff_name": name,
            "signed": signed(settings, staff, text),
            "quote": offer,
        },
        request=request,
        inbound=msg.inbound,
        automatic=False,
        counted=True,
        thread=Thread(last.message_id) if last is not None else None,
        reply_to=plus_address(settings, quote.token) if quote is not None else None,
        attachments=attached,
        language=client_language(request),
    )


def receipt(
    msg: Incoming, problems: list[str], applied: list[str], relayed: str | None
) -> OutboundMessage | None:
    """What the staff member is told: the commands applied, or the ones refused and why
    (then nothing was applied), and whom their words were relayed to. None when the
    sender has had their fill of emails from intake this hour (an out-of-office answering
    receipts stops there); the request's history still says what was done."""
    if over_the_cap(msg.session, msg.settings, msg.sender.address):
        msg.record("receipt_withheld", "replies.max_automatic_per_hour reached for the sender")
        return None
    return queue_email(
        msg.session,
        msg.settings,
        "staff_receipt",
        [msg.sender.address],
        {
            "subject": msg.request.subject,
            "refused": bool(problems),
            "problems": problems,
            "applied": applied or ["(no commands)"],
            "relayed": relayed or "",
            "status": msg.request.status.value,
        },
        request=msg.request,
        inbound=msg.inbound,
        thread=Thread.answering(msg.mail),
        counted=True,
    )


def words_digest(text: str) -> str:
    """A short fingerprint of relayed words, blank space aside, for the request's history."""
    return hashlib.sha256(" ".join(text.split()).encode()).hexdigest()[:12]


def relayed_today(msg: Incoming, digest: str) -> bool:
    """Whether the same words went to the client on this request in the last day."""
    return msg.recorded("relayed", f"(text {digest})", since=utcnow() - timedelta(days=1))

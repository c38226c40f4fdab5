"""What a staff reply sends: the staff member's words relayed to the client, and the
receipt that tells the sender what was applied or refused."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.mail.models import InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.models import OutboundMessage
from intake.outbox.service import Thread, plus_address, queue_email
from intake.quotes.emails import quote_offer
from intake.quotes.models import Quote
from intake.requests.models import Request
from intake.settings import Settings


def says_something(settings: Settings, staff: str, text: str) -> bool:
    """Whether the text left for the client is more than the staff member's name, rules
    and invisible characters ("#log 1h fixed" then "Dana": no email of just "Dana")."""
    names = {staff.lower(), staff.partition("@")[0].lower()}
    for member in settings.staff:
        if member.email == staff and member.name:
            names |= {member.name.lower(), member.name.split()[0].lower()}
    for line in text.splitlines():
        words = line.replace("\u200b", "").replace("\ufeff", "").strip(" \t-_=*~.,")
        if words and words.lower() not in names:
            return True
    return False


def relay(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    staff: str,
    text: str,
    quote: Quote | None = None,
) -> OutboundMessage:
    """The staff member's words to the client, from the support address, in the thread
    of the client's own messages: a human reply, not an automatic one."""
    name = next((m.name for m in settings.staff if m.email == staff and m.name), staff)
    last = session.scalar(
        sa.select(InboundMessage)
        .where(
            InboundMessage.request_id == request.id,
            InboundMessage.from_address == request.contact_email,
        )
        .order_by(InboundMessage.id.desc())
    )
    offer = quote_offer(quote, request) if quote is not None else None
    return queue_email(
        session,
        settings,
        "staff_relay",
        [request.contact_email],
        {"subject": request.subject, "text": text, "staff_name": name, "quote": offer},
        request=request,
        inbound=inbound,
        automatic=False,
        to_client=True,
        thread=Thread(last.message_id) if last is not None else None,
        reply_to=plus_address(settings, quote.token) if quote is not None else None,
    )


def receipt(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    mail: InboundMail,
    staff: str,
    problems: list[str],
    applied: list[str],
    relayed: str | None,
) -> OutboundMessage:
    return queue_email(
        session,
        settings,
        "staff_receipt",
        [staff],
        {
            "subject": request.subject,
            "refused": bool(problems),
            "problems": problems,
            "applied": applied or ["(no commands)"],
            "relayed": relayed or "",
            "status": request.status.value,
        },
        request=request,
        inbound=inbound,
        thread=Thread.answering(mail),
    )

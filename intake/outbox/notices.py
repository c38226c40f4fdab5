"""Notices to staff about one request's mail: a message held for them, a bounce of one of
our emails, a client's reply they should read."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake.mail.models import InboundMessage
from intake.outbox.models import OutboundMessage
from intake.outbox.service import queue_email, staff_recipients
from intake.requests.incoming import Incoming
from intake.requests.models import Request
from intake.settings import Settings


def staff_held(
    session: Session, settings: Settings, request: Request, inbound: InboundMessage, reason: str
) -> OutboundMessage | None:
    if not settings.staff:
        return None
    context = {
        "reason": reason,
        "sender": inbound.from_address or "(no sender)",
        "subject": inbound.subject or "(no subject)",
        "text": (inbound.new_text or inbound.text or "")[:20_000],
    }
    return queue_email(
        session,
        settings,
        "staff_held",
        staff_recipients(settings),
        context,
        request=request,
        inbound=inbound,
    )


def staff_bounce(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    recipients: tuple[str, ...],
    status: str,
    diagnostic: str,
) -> OutboundMessage | None:
    if not settings.staff:
        return None
    context = {
        "subject": request.subject,
        "recipients": ", ".join(recipients) or "(not stated)",
        "status": status or "(not stated)",
        "diagnostic": diagnostic or "(not stated)",
    }
    return queue_email(
        session,
        settings,
        "staff_bounce",
        staff_recipients(settings),
        context,
        request=request,
        inbound=inbound,
    )


def staff_client_reply(
    msg: Incoming, headline: str, outcome: str, reason: str | None
) -> tuple[OutboundMessage, ...]:
    """Staff are told of a client's reply: ``headline``, what intake did with it, and why."""
    if not msg.settings.staff:
        return ()
    notice = queue_email(
        msg.session,
        msg.settings,
        "staff_client_reply",
        staff_recipients(msg.settings),
        {
            "headline": headline,
            "subject": msg.request.subject,
            "sender": msg.mail.from_address,
            "outcome": outcome,
            "reason": reason or "",
            "owner": msg.request.owner or "",
            "text": msg.mail.new_text[:20_000],
        },
        request=msg.request,
        inbound=msg.inbound,
    )
    return (notice,)


def staff_mailbox_login(
    session: Session, settings: Settings, mailbox: str, provider: str, reason: str
) -> OutboundMessage | None:
    """Staff are told that the mailbox's OAuth2 refresh token was refused: someone must
    run `intake auth login`. Sent once per refusal (mail.tokens.note_refused says when)."""
    if not settings.staff:
        return None
    context = {"mailbox": mailbox, "provider": provider, "reason": reason}
    return queue_email(
        session, settings, "staff_mailbox_login", staff_recipients(settings), context, request=None
    )

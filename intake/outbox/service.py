"""The transactional outbox: an email is rendered and stored in the same transaction as the
change that caused it; delivery happens later (see delivery.py) and never twice by design."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake import memo
from intake.db import utcnow
from intake.mail.matching import plus_tokens
from intake.mail.models import InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.compose import Attachment, Envelope, compose, new_message_id
from intake.outbox.language import SOURCE
from intake.outbox.models import OutboundMessage
from intake.outbox.templates import render
from intake.requests.models import Request
from intake.settings import MailboxSettings, Settings


@dataclass(frozen=True)
class Thread:
    """The message we answer: our email threads under it (In-Reply-To, References)."""

    message_id: str | None
    references: tuple[str, ...] = ()

    @classmethod
    def answering(cls, mail: InboundMail) -> Thread:
        return cls(mail.message_id, mail.references)


def queue_email(
    session: Session,
    settings: Settings,
    kind: str,
    to: Sequence[str],
    context: dict[str, Any],
    *,
    request: Request | None,
    inbound: InboundMessage | None = None,
    thread: Thread | None = None,
    reply_to: str | None = None,
    automatic: bool = True,
    counted: bool = False,
    attachments: Sequence[Attachment] = (),
    language: str = SOURCE,
) -> OutboundMessage:
    """Render ``templates/email/<kind>`` and store it, pending, in the outbox.

    ``language``: the reader's (a client's ``language``; staff read English), for the
    template's words, money and dates; what ``context`` says in words or dates the caller
    wrote in that language already.

    ``counted``: an answer to the person it goes to (a client, or staff for a receipt),
    counted against ``replies.max_automatic_per_hour`` for that address (see
    :func:`over_the_cap`)."""
    now = utcnow()
    ref = request.ref if request is not None else ""
    mailbox = sending_mailbox(session, settings, request, inbound)
    rendered = render(
        kind,
        {
            "agency_name": settings.brand_of(mailbox),
            "support_address": mailbox.address,
            "ref": ref,
            "currency": settings.billing.currency,
            **context,
        },
        settings.templates_dir,
        language,
    )
    domain = mailbox.address.rpartition("@")[2]
    message_id = new_message_id(domain, now)
    envelope = Envelope(
        sender=mailbox.address,
        sender_name=settings.brand_of(mailbox),
        to=tuple(to),
        reply_to=_rebased(reply_to, settings.support_address, mailbox.address),
        in_reply_to=thread.message_id if thread is not None else None,
        references=thread.references if thread is not None else (),
        automatic=automatic,
        ref=ref or None,
    )
    row = OutboundMessage(
        message_id=message_id,
        request=request,
        inbound_id=inbound.id if inbound is not None else None,
        kind=kind,
        recipients=list(to),
        recipient_key=to[0].lower() if counted and to else None,
        subject=rendered.subject,
        raw=compose(rendered, envelope, message_id, now, attachments),
        automatic=automatic,
        created_at=now,
    )
    # Not flushed: it is written with the change that caused it; its id exists after the
    # caller's flush or commit.
    session.add(row)
    if row.recipient_key:
        memo.add(session, _replies_key(row.recipient_key), 1)
    return row


def sending_mailbox(
    session: Session,
    settings: Settings,
    request: Request | None,
    inbound: InboundMessage | None = None,
) -> MailboxSettings:
    """The mailbox an email leaves from: the one the message it answers came in on, else
    the one its request's first message came in on, else the first (staff emails about
    nothing that came in)."""
    if len(settings.mailboxes) == 1:
        return settings.mailboxes[0]
    if inbound is not None:
        return settings.mailbox_named(inbound.mailbox)
    if request is not None and request.id is not None:
        with session.no_autoflush:
            name = session.scalar(
                sa.select(InboundMessage.mailbox)
                .where(InboundMessage.request_id == request.id)
                .order_by(InboundMessage.id)
                .limit(1)
            )
        return settings.mailbox_named(name)
    return settings.mailboxes[0]


def _rebased(reply_to: str | None, support: str, address: str) -> str | None:
    """A per-quote reply address (``support+<token>@...``) on the sending mailbox's
    address, so the client's answer comes back to the mailbox the request is in."""
    if reply_to is None or address == support:
        return reply_to
    tokens = plus_tokens([reply_to], support)
    if not tokens:
        return reply_to
    local, _, domain = address.partition("@")
    return f"{local}+{tokens[0]}@{domain}"


def over_the_cap(session: Session, settings: Settings, address: str) -> bool:
    """Whether ``address`` has had its fill of emails from intake this hour
    (``replies.max_automatic_per_hour``): then nothing more that mail from it could cause
    is sent to it, so two machines answering each other stop at the cap."""
    limit = settings.replies.max_automatic_per_hour
    return automatic_replies_last_hour(session, address, limit) >= limit


def automatic_replies_last_hour(session: Session, address: str, at_most: int) -> int:
    """Emails to ``address`` in the last hour, counted up to ``at_most`` (the
    limit: a busy address costs no more to check than a quiet one): those stored, and
    those queued in this session and not flushed yet (counted here, not flushed). Filing a
    job together, counted once and then kept up by :func:`queue_email`."""
    key = address.lower()
    return memo.recall(
        session, _replies_key(key), lambda: _replies_last_hour(session, key, at_most)
    )


def _replies_key(recipient_key: str) -> tuple[str, str]:
    """What the count of an address's automatic replies is remembered under (see memo)."""
    return ("automatic replies", recipient_key)


def _replies_last_hour(session: Session, key: str, at_most: int) -> int:
    since = utcnow() - timedelta(hours=1)
    recent = (
        sa.select(OutboundMessage.id)
        .where(
            OutboundMessage.recipient_key == key,
            OutboundMessage.created_at > since,
        )
        .limit(at_most)
        .subquery()
    )
    with session.no_autoflush:
        stored = session.scalar(sa.select(sa.func.count()).select_from(recent))
    queued = sum(
        1 for row in session.new if isinstance(row, OutboundMessage) and row.recipient_key == key
    )
    return int(stored or 0) + queued


def queued_lately(session: Session, kind: str, about: str) -> bool:
    """Whether an email of ``kind`` whose subject names ``about`` was queued in the last
    hour: stored, or queued in this session and not flushed yet. For a notice that says
    the same thing once an hour however often it is true."""
    since = utcnow() - timedelta(hours=1)
    with session.no_autoflush:
        subjects = session.scalars(
            sa.select(OutboundMessage.subject).where(
                OutboundMessage.kind == kind, OutboundMessage.created_at > since
            )
        ).all()
    pending = [r.subject for r in session.new if isinstance(r, OutboundMessage) and r.kind == kind]
    return any(about in subject for subject in (*subjects, *pending))


def staff_recipients(settings: Settings) -> list[str]:
    return [member.email for member in settings.staff]


def plus_address(settings: Settings, token: str) -> str:
    local, _, domain = settings.support_address.partition("@")
    return f"{local}+{token}@{domain}"

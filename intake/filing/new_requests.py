"""Filing mail that answers no request: a new request of the sender's client, quoted and
answered at once; or, from a stranger (or staff), a request held for staff triage with no
reply to the sender."""

from __future__ import annotations

import sqlalchemy as sa

from intake.clients.senders import Author
from intake.filing.context import FilingContext
from intake.filing.outcome import Outcome
from intake.mail.models import Filing, SpamSender
from intake.outbox.notices import staff_held
from intake.quotes.service import quote_new_request
from intake.requests import service as requests
from intake.requests.states import Status


def held_for_triage(ctx: FilingContext) -> Outcome | None:
    """From someone who is no client's: held, staff told, the sender not answered (no
    backscatter to spam)."""
    sender = ctx.sender
    if sender.author is not Author.UNKNOWN and sender.client is not None:
        return None
    if sender.author is not Author.STAFF and sender.address:
        spam = ctx.session.scalar(sa.select(SpamSender).where(SpamSender.email == sender.address))
        if spam is not None:
            return hold_new(
                ctx, f"{sender.address} was marked as spam by {spam.flagged_by}", notify=False
            )
    reason = (
        "staff message that matches no request"
        if sender.author is Author.STAFF
        else f"unknown sender {sender.address or '(no address)'}"
    )
    return hold_new(ctx, reason)


def hold_new(ctx: FilingContext, reason: str, *, notify: bool = True) -> Outcome:
    """A request held for staff with ``reason``, the sender not answered; staff told
    unless ``notify`` is False."""
    sender = ctx.sender
    request = requests.open_request(
        ctx.session,
        client=None,
        contact_email=sender.address,
        subject=ctx.mail.subject,
        inbound=ctx.inbound,
        status=Status.HELD,
        hold_reason=reason,
        from_arrival_within=ctx.settings.sla.from_arrival_within,
    )
    notice = staff_held(ctx.session, ctx.settings, request, ctx.inbound, reason) if notify else None
    return ctx.settle(Filing.HELD, request, reason, [notice])


def new_request(ctx: FilingContext) -> Outcome:
    """From a client's contact (or a new one at the client's domain): a request, quoted."""
    sender = ctx.sender
    request = requests.open_request(
        ctx.session,
        client=sender.client,
        contact_email=sender.address,
        subject=ctx.mail.subject,
        inbound=ctx.inbound,
        from_arrival_within=ctx.settings.sla.from_arrival_within,
    )
    msg = ctx.incoming(request)
    if sender.author is Author.NEW_CONTACT:
        assert sender.client is not None
        msg.record(
            "new_contact",
            f"{sender.address} added as a contact of {sender.client.slug} (may not approve)",
        )
    for attachment in ctx.inbound.attachments:
        if attachment.note:
            msg.record("note", attachment.note, actor="intake")
    replies = quote_new_request(msg)
    return ctx.settle(Filing.REQUEST, request, outbound=replies)

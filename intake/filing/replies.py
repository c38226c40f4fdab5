"""Filing a client's reply in a request's thread: an answer to a waiting quote (approvals
decide what it means), a follow-up (which reopens finished work), or a stranger's reply,
held for staff."""

from __future__ import annotations

from intake.approvals.service import handle_reply_to_quote, pending_quote
from intake.filing.context import FilingContext
from intake.filing.outcome import Outcome
from intake.mail.models import Filing
from intake.outbox.notices import staff_client_reply
from intake.requests import service as requests
from intake.requests.states import Status


def stranger_in_thread(ctx: FilingContext) -> Outcome | None:
    """Someone who is no contact of the request's client wrote in its thread."""
    request, sender = ctx.request, ctx.sender
    if request is None or request.client_id is None:
        return None
    if sender.client is not None and sender.client.id == request.client_id:
        return None
    return hold_in_thread(
        ctx,
        "stranger_reply",
        f"{sender.address} wrote in the thread but is not a contact of its client",
        ("Stranger in the thread", "nothing was sent to the sender"),
    )


def answer_to_quote(ctx: FilingContext) -> Outcome | None:
    """A contact's reply while a quote waits: an approval, a decline, or for staff."""
    request = ctx.request
    if request is None or request.status is not Status.QUOTED or ctx.sender.contact is None:
        return None
    quote = pending_quote(ctx.session, request)
    if quote is None:
        return None
    msg = ctx.incoming()
    msg.record("follow_up")
    reply = handle_reply_to_quote(msg, quote)
    filing = Filing.HELD if reply.held else Filing.FOLLOW_UP
    return ctx.settle(filing, request, reply.held, reply.outbound)


def follow_up(ctx: FilingContext) -> Outcome | None:
    """Any other reply in a thread: added to it; finished work is reopened."""
    request = ctx.request
    if request is None:
        return None
    before = request.status
    requests.add_follow_up(ctx.session, request, ctx.inbound, ctx.sender.address, reopen=True)
    moved = f"; {before.value} -> {request.status.value}" if request.status is not before else ""
    told = staff_client_reply(
        ctx.incoming(), "Client replied", f"added it to the thread{moved}", None
    )
    return ctx.settle(Filing.FOLLOW_UP, request, outbound=told)


def hold_in_thread(ctx: FilingContext, event: str, reason: str, notice: tuple[str, str]) -> Outcome:
    """Hold a message in its request's thread for staff: an event of kind ``event`` with
    the reason, and a notice to staff (its title, and what was not done)."""
    msg = ctx.incoming()
    msg.record(event, reason)
    title, not_done = notice
    told = staff_client_reply(msg, title, f"held it: {not_done}", reason)
    return ctx.settle(Filing.HELD, msg.request, reason, told)

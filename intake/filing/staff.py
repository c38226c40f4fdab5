"""Filing a staff member's reply in a request's thread: their commands applied, their
words relayed, a receipt to them; held when their mail is not authenticated, or, where
authentication is not required, when it answers no email intake sent them."""

from __future__ import annotations

import sqlalchemy as sa

from intake import memo
from intake.clients.senders import Author
from intake.commands.service import apply_staff_reply
from intake.filing.context import FilingContext
from intake.filing.outcome import Outcome
from intake.filing.replies import hold_in_thread
from intake.mail.authentication import not_vouched_for
from intake.mail.models import Filing
from intake.outbox.models import OutboundMessage


def _answers_our_email_to(ctx: FilingContext, address: str) -> bool:
    """Whether the message is in the thread of an email intake sent to ``address``."""
    ids = [i for i in (*ctx.mail.in_reply_to, *ctx.mail.references) if i]
    if not ids:
        return False
    sent = ctx.session.scalars(
        sa.select(OutboundMessage.recipients).where(OutboundMessage.message_id.in_(ids))
    )
    return any(address in (r.lower() for r in recipients) for recipients in sent)


def staff_reply(ctx: FilingContext) -> Outcome | None:
    if ctx.sender.author is not Author.STAFF or ctx.request is None:
        return None
    msg = ctx.incoming()
    auth = ctx.settings.authentication
    why = not_vouched_for(ctx.mail, auth)
    if why is not None:
        return hold_in_thread(
            ctx,
            "held",
            f"staff message not authenticated, nothing applied: {why}",
            ("Staff message not authenticated", "no command applied, nothing sent to the client"),
        )
    if not auth.required and not _answers_our_email_to(ctx, ctx.sender.address):
        # Without authentication a From is only a claim: what vouches for staff is that
        # they answer an email intake sent them, which a forger never received.
        return hold_in_thread(
            ctx,
            "held",
            f"staff message answers no email intake sent to {ctx.sender.address}; with"
            " [authentication] required = false only such a reply is read for commands",
            ("Staff message not bound", "no command applied, nothing sent to the client"),
        )
    msg.record("staff_reply")
    sent = apply_staff_reply(msg)
    memo.forget(ctx.session)  # a command may add a contact or close work with hours logged
    return ctx.settle(Filing.FOLLOW_UP, msg.request, outbound=sent)

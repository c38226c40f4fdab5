"""Filing a staff member's reply in a request's thread: their commands applied, their
words relayed, a receipt to them; held when their mail is not authenticated."""

from __future__ import annotations

from intake import memo
from intake.approvals.authentication import check_sender
from intake.clients.senders import Author
from intake.commands.service import apply_staff_reply
from intake.filing.context import FilingContext
from intake.filing.outcome import Outcome
from intake.filing.replies import hold_in_thread
from intake.mail.models import Filing


def staff_reply(ctx: FilingContext) -> Outcome | None:
    if ctx.sender.author is not Author.STAFF or ctx.request is None:
        return None
    msg = ctx.incoming()
    auth = ctx.settings.authentication
    if auth.required:
        verdict = check_sender(ctx.mail.headers, ctx.mail.from_address, auth.authserv_id)
        if not verdict.passed:
            return hold_in_thread(
                ctx,
                "held",
                f"staff message not authenticated, nothing applied: {verdict.reason}",
                (
                    "Staff message not authenticated",
                    "no command applied, nothing sent to the client",
                ),
            )
    msg.record("staff_reply")
    sent = apply_staff_reply(msg)
    memo.forget(ctx.session)  # a command may add a contact or close work with hours logged
    return ctx.settle(Filing.FOLLOW_UP, msg.request, outbound=sent)

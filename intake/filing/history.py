"""Filing history: mail that was in a folder before intake first read it, and had been read
or was older than ``imap.answer_existing_within`` by then (see workers.poller). It is
stored, threaded and listed like any mail, and nobody is written to about it: no reply, no
quote, no notice to staff, no SLA clock; nothing in it is approved or commanded (an old
"#hours 3" or "approved" was acted on, if at all, before intake was there)."""

from __future__ import annotations

from intake.db import utcnow
from intake.filing.context import FilingContext
from intake.filing.machine import machine_mail
from intake.filing.outcome import Outcome
from intake.mail.models import Filing
from intake.requests import service as requests
from intake.requests.states import Status

HISTORY = "history: in the mailbox before intake first read it; nobody was written to"


def history(ctx: FilingContext) -> Outcome | None:
    """Machine mail recorded, a reply added to its thread, anything else a finished request
    opened when its mail arrived."""
    if not ctx.inbound.history:
        return None
    recorded = machine_mail(ctx, note=HISTORY)  # a bounce of ours included: nobody is told
    if recorded is not None:
        return recorded
    session, inbound, sender = ctx.session, ctx.inbound, ctx.sender
    request = ctx.request
    if request is not None:
        requests.record(
            session, request, "follow_up", sender.address, inbound, f"reply from {sender.address}"
        )
        return ctx.settle(Filing.FOLLOW_UP, request, HISTORY)
    request = requests.open_request(
        session,
        client=sender.client,
        contact_email=sender.address,
        subject=ctx.mail.subject,
        inbound=inbound,
        status=Status.DONE,
        opened_at=inbound.received_at or ctx.mail.date or utcnow(),
    )
    requests.record(session, request, "note", "intake", inbound, HISTORY)
    return ctx.settle(Filing.REQUEST, request, HISTORY)

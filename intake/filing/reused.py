"""A Message-ID seen again on a message with other content (another sender, date, subject
or body): the message is filed as its own, as any other, and staff are told, because it is
either a mail program that gives many messages one id or a forgery that borrows the id of
a message in a thread. Nothing is held for it: a shared id alone proves neither."""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from intake.filing.context import FilingContext
from intake.filing.outcome import Outcome
from intake.mail.models import Filing, InboundMessage
from intake.mail.store import first_with_its_id
from intake.outbox.notices import staff_client_reply
from intake.requests import service as requests


def flag_reused_id(ctx: FilingContext, outcome: Outcome) -> Outcome:
    """``outcome`` with a note of the earlier message that had this Message-ID, if any: on
    the stored message, on its request, and in a notice to staff (not for machine mail or
    history, which nobody is told of)."""
    inbound = ctx.inbound
    key = first_with_its_id(inbound.message_key)
    if key is None:
        return outcome
    first = ctx.session.scalar(sa.select(InboundMessage).where(InboundMessage.message_key == key))
    earlier = (
        f"message {first.id} from {first.from_address or '(no sender)'} ({first.subject!r})"
        if first is not None
        else "an earlier message"
    )
    note = (
        f"its Message-ID <{inbound.message_id}> was already on {earlier}, with other content: "
        "filed as a message of its own; a possible forgery, or a mail program that reuses ids"
    )
    inbound.reason = f"{outcome.reason}; {note}" if outcome.reason else note
    flagged = replace(outcome, reason=inbound.reason)
    request = inbound.request
    if request is None or inbound.history or outcome.filing in (Filing.MACHINE, Filing.FAILED):
        return flagged
    requests.record(ctx.session, request, "note", "intake", inbound, note)
    told = staff_client_reply(
        ctx.incoming(request),
        "Message-ID seen before",
        f"filed it ({outcome.filing.value.replace('_', '-')}); nothing was held",
        note,
    )
    return replace(flagged, outbound=(*outcome.outbound, *told))

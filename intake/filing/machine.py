"""Filing machine mail: recorded, never answered; a bounce of one of our emails goes on its
request, flags the address and tells staff."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.filing.context import FilingContext
from intake.filing.outcome import Outcome
from intake.filing.threads import find_thread
from intake.mail.models import AddressFlag, Filing, InboundMessage
from intake.outbox.models import OutboundMessage
from intake.outbox.notices import staff_bounce
from intake.requests import service as requests
from intake.requests.models import Request

log = logging.getLogger(__name__)


def bounce_of_ours(ctx: FilingContext) -> Outcome | None:
    """A delivery report of one of our emails: on that email's request, and staff told
    (unless a staff mailbox is what bounced). Every address a report names as failed is
    flagged, whether or not the email was ours."""
    report = ctx.mail.delivery_report
    if ctx.verdict is None or report is None or not report.original_message_id:
        return None
    session, settings, inbound, verdict = ctx.session, ctx.settings, ctx.inbound, ctx.verdict
    bounced = session.scalar(
        sa.select(OutboundMessage).where(OutboundMessage.message_id == report.original_message_id)
    )
    for address in report.recipients:
        _flag_address(session, address, f"bounced: {report.status} {report.diagnostic}", inbound)
    request = session.get(Request, bounced.request_id) if bounced is not None else None
    if request is None:
        return None  # not one of ours, or not about a request: machine mail like any other
    requests.record(
        session,
        request,
        "bounce",
        ctx.mail.from_address or "mailer-daemon",
        inbound,
        f"our message bounced for {', '.join(report.recipients) or 'a recipient'}"
        f" ({report.status or report.action})",
    )
    failed = report.recipients or (bounced.recipients if bounced is not None else [])
    if any(address.lower() in settings.staff_addresses for address in failed):
        # A notice about a staff mailbox that bounces would go there and bounce
        # again, for ever: the bounce is on the request and in the log instead.
        log.warning(
            "a staff address bounced (%s) for %s: no notice sent", ", ".join(failed), request.ref
        )
        reason = f"{verdict.check}: {verdict.reason}; a staff address bounced"
        return ctx.settle(Filing.MACHINE, request, reason)
    notice = staff_bounce(
        session, settings, request, inbound, report.recipients, report.status, report.diagnostic
    )
    return ctx.settle(Filing.MACHINE, request, f"{verdict.check}: {verdict.reason}", [notice])


def machine_mail(ctx: FilingContext, note: str = "") -> Outcome | None:
    """Anything else a machine wrote (auto-replies, lists, our own mail, other bounces):
    kept on the request it threads to, if any, and never answered. ``note``: added to the
    recorded reason."""
    verdict = ctx.verdict
    if verdict is None:
        return None
    match = find_thread(ctx.session, ctx.settings, ctx.mail, None)
    request = ctx.session.get(Request, match.request_id) if match is not None else None
    reason = f"{verdict.check}: {verdict.reason}" + (f"; {note}" if note else "")
    return ctx.settle(Filing.MACHINE, request, reason)


def _flag_address(session: Session, address: str, reason: str, inbound: InboundMessage) -> None:
    flag = session.scalar(sa.select(AddressFlag).where(AddressFlag.email == address))
    if flag is None:
        session.add(AddressFlag(email=address, reason=reason[:1000], inbound_id=inbound.id))
    else:
        flag.reason, flag.inbound_id, flag.flagged_at = reason[:1000], inbound.id, utcnow()

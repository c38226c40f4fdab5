"""Filing machine mail: recorded, never answered; a bounce of one of our emails goes on its
request, flags the address and tells staff."""

from __future__ import annotations

import logging

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.mail.machine import MachineVerdict
from intake.mail.models import AddressFlag, Filing, InboundMessage
from intake.mail.outcome import Outcome, settle
from intake.mail.parsing import InboundMail
from intake.mail.threads import find_thread
from intake.outbox.models import OutboundMessage
from intake.outbox.notices import staff_bounce
from intake.requests import service as requests
from intake.requests.models import Request
from intake.settings import Settings

log = logging.getLogger(__name__)


def file_machine(
    session: Session,
    settings: Settings,
    inbound: InboundMessage,
    mail: InboundMail,
    verdict: MachineVerdict,
) -> Outcome:
    request = None
    report = mail.delivery_report
    if report is not None and report.original_message_id:
        bounced = session.scalar(
            sa.select(OutboundMessage).where(
                OutboundMessage.message_id == report.original_message_id
            )
        )
        request = session.get(Request, bounced.request_id) if bounced is not None else None
        for address in report.recipients:
            why = f"bounced: {report.status} {report.diagnostic}"
            _flag_address(session, address, why, inbound)
        if request is not None:
            requests.record(
                session,
                request,
                "bounce",
                mail.from_address or "mailer-daemon",
                inbound,
                f"our message bounced for {', '.join(report.recipients) or 'a recipient'}"
                f" ({report.status or report.action})",
            )
            failed = report.recipients or (bounced.recipients if bounced is not None else [])
            if any(address.lower() in settings.staff_addresses for address in failed):
                # A notice about a staff mailbox that bounces would go there and bounce
                # again, for ever: the bounce is on the request and in the log instead.
                log.warning(
                    "a staff address bounced (%s) for %s: no notice sent",
                    ", ".join(failed),
                    request.ref,
                )
                reason = f"{verdict.check}: {verdict.reason}; a staff address bounced"
                return settle(inbound, Filing.MACHINE, request, reason)
            notice = staff_bounce(
                session,
                settings,
                request,
                inbound,
                report.recipients,
                report.status,
                report.diagnostic,
            )
            reason = f"{verdict.check}: {verdict.reason}"
            return settle(inbound, Filing.MACHINE, request, reason, [notice])
    if request is None:
        match = find_thread(session, settings, mail, None)
        request = session.get(Request, match.request_id) if match is not None else None
    return settle(inbound, Filing.MACHINE, request, f"{verdict.check}: {verdict.reason}")


def _flag_address(session: Session, address: str, reason: str, inbound: InboundMessage) -> None:
    flag = session.scalar(sa.select(AddressFlag).where(AddressFlag.email == address))
    if flag is None:
        session.add(AddressFlag(email=address, reason=reason[:1000], inbound_id=inbound.id))
    else:
        flag.reason, flag.inbound_id, flag.flagged_at = reason[:1000], inbound.id, utcnow()

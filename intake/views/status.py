"""What is stored, filed, held, parked and waiting to be sent, as plain data for `intake
status`."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.mail.models import Filing, InboundMessage, MailboxCursor
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request


def status_report(session: Session) -> dict[str, Any]:
    inbound = dict(
        session.execute(
            sa.select(InboundMessage.filing, sa.func.count()).group_by(InboundMessage.filing)
        ).all()
    )
    outbox = dict(
        session.execute(
            sa.select(OutboundMessage.state, sa.func.count()).group_by(OutboundMessage.state)
        ).all()
    )
    requests = dict(
        session.execute(sa.select(Request.status, sa.func.count()).group_by(Request.status)).all()
    )
    history = session.scalar(
        sa.select(sa.func.count()).select_from(InboundMessage).where(InboundMessage.history)
    )
    # Sending that keeps failing (an SMTP outage, a refused login): the latest error of mail
    # still waiting, and since when the oldest waits.
    retried = (OutboundMessage.state == "pending", OutboundMessage.attempts > 0)
    latest_error = session.scalar(
        sa.select(OutboundMessage.last_error)
        .where(*retried)
        .order_by(OutboundMessage.id.desc())
        .limit(1)
    )
    oldest = session.scalar(sa.select(sa.func.min(OutboundMessage.created_at)).where(*retried))
    cursors = session.scalars(sa.select(MailboxCursor).order_by(MailboxCursor.mailbox)).all()
    return {
        "inbound": {
            "total": sum(inbound.values()),
            **{filing.value: inbound.get(filing, 0) for filing in Filing},
            # Of all of these, how many were filed as history (nobody written to).
            "history": history or 0,
        },
        "outbox": {
            **{state: outbox.get(state, 0) for state in ("pending", "sent", "failed")},
            "sending_error": latest_error,
            "failing_since": oldest.isoformat() if oldest is not None else None,
        },
        "requests": {status.value: count for status, count in sorted(requests.items())},
        "mailboxes": [
            {
                "mailbox": c.mailbox,
                "uidvalidity": c.uidvalidity,
                "last_uid": c.last_uid,
                "updated_at": c.updated_at.isoformat(),
            }
            for c in cursors
        ],
    }

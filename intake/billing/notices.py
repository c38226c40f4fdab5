"""Telling staff of a statement email the mail server refused for good: the notice names
the client and the month, so the address can be corrected and the statement resent."""

from __future__ import annotations

import email
from email.policy import default

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.billing.documents import CSV_NAME
from intake.billing.models import Statement
from intake.billing.statement import Period
from intake.billing.views import period_name
from intake.clients.models import Client
from intake.mail.models import OutboundMessage
from intake.outbox.service import queue_email, staff_recipients
from intake.settings import Settings

STATEMENT, NOTICE = "statement", "staff_statement_undeliverable"


def statement_undeliverable(
    session: Session, settings: Settings, row: OutboundMessage
) -> OutboundMessage | None:
    """Queue a notice to staff if ``row``, just refused for good, is a statement email;
    None for any other email, or when there are no staff to tell."""
    if row.kind != STATEMENT or not settings.staff:
        return None
    period = statement_period(row.raw)
    client = _client_of(session, row, period) if period is not None else None
    return queue_email(
        session,
        settings,
        NOTICE,
        staff_recipients(settings),
        {
            "client": client.slug if client is not None else "(unknown client)",
            "client_name": client.name if client is not None else "an unknown client",
            "period": period.label if period is not None else "(unknown month)",
            "period_name": period_name(period) if period is not None else "an unknown month",
            "recipients": ", ".join(row.recipients),
            "reason": row.last_error or "refused",
        },
        request=None,
    )


def pending_notices(session: Session) -> list[int]:
    """The notices still waiting in the outbox."""
    return list(
        session.scalars(
            sa.select(OutboundMessage.id).where(
                OutboundMessage.kind == NOTICE, OutboundMessage.state == "pending"
            )
        )
    )


def statement_period(raw: bytes) -> Period | None:
    """The month a statement email is for, read from the name of its CSV attachment."""
    message = email.message_from_bytes(raw, policy=default)
    for part in message.iter_attachments():
        match = CSV_NAME.fullmatch(part.get_filename() or "")
        if match is not None:
            return Period.parse(match[1])
    return None


def _client_of(session: Session, row: OutboundMessage, period: Period) -> Client | None:
    """The client billed for ``period`` whose billing addresses the email went to; when
    several share an address, the one whose statement was last sent in this very email."""
    to = {address.lower() for address in row.recipients}
    found = session.execute(
        sa.select(Client, Statement.sent_at)
        .join(Statement, Statement.client_id == Client.id)
        .where(Statement.period == period.label)
        .order_by(Client.slug)
    ).all()
    matches = [
        (client, sent_at)
        for client, sent_at in found
        if to & {address.lower() for address in client.billing_emails}
    ]
    exact = [client for client, sent_at in matches if sent_at == row.created_at]
    return next(iter(exact or [client for client, _ in matches]), None)

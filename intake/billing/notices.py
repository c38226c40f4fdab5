"""Telling staff of a statement email the mail server refused, for good or for some of its
recipients: the notice names the client, the month and the addresses, so an address can
be corrected and the statement resent."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.billing.models import Statement
from intake.billing.statement import Period
from intake.billing.views import period_name
from intake.clients.models import Client
from intake.outbox.delivery import on_refusal
from intake.outbox.models import OutboundMessage
from intake.outbox.service import queue_email, staff_recipients
from intake.settings import Settings

STATEMENT, NOTICE = "statement", "staff_statement_undeliverable"


@on_refusal
def statement_undeliverable(
    session: Session,
    settings: Settings,
    row: OutboundMessage,
    refused: Sequence[str] | None = None,
) -> OutboundMessage | None:
    """Queue a notice to staff if ``row`` is a statement email just refused for good, or
    (with ``refused``) sent to its other recipients but not to these; None for any other
    email, or when there are no staff to tell."""
    if row.kind != STATEMENT or not settings.staff:
        return None
    found = session.execute(
        sa.select(Statement, Client)
        .join(Client, Client.id == Statement.client_id)
        .where(Statement.message_id == row.message_id)
    ).first()
    statement, client = found if found is not None else (None, None)
    period = Period.parse(statement.period) if statement is not None else None
    reached = [r for r in row.recipients if r not in refused] if refused else []
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
            "recipients": ", ".join(refused or row.recipients),
            "delivered_to": ", ".join(reached),  # empty: nobody got it
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

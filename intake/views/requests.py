"""Requests as plain data for listings and the machine-readable output of the CLI."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from intake.clients.models import Client
from intake.hours import hours_figure
from intake.mail.models import InboundMessage
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Event, Request, TimeEntry
from intake.requests.states import Status


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _hours(value: Decimal | None) -> str | None:
    return None if value is None else hours_figure(value)


def summary(request: Request) -> dict[str, Any]:
    return {
        "ref": request.ref,
        "client": request.client.slug if request.client is not None else None,
        "contact": request.contact_email,
        "subject": request.subject,
        "type": request.type.value if request.type else None,
        "severity": request.severity.value if request.severity else None,
        "status": request.status.value,
        "owner": request.owner,
        "opened_at": _time(request.opened_at),
        "updated_at": _time(request.updated_at),
        "hold_reason": request.hold_reason,
    }


def list_requests(
    session: Session,
    *,
    status: Status | None = None,
    client: str | None = None,
    owner: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """``owner``: a staff address, or "" for the requests nobody owns."""
    query = sa.select(Request).options(selectinload(Request.client)).order_by(Request.number)
    if status is not None:
        query = query.where(Request.status == status)
    if owner is not None:
        query = query.where(Request.owner == owner if owner else Request.owner.is_(None))
    if client is not None:
        query = query.join(Client).where(Client.slug == client)
    if limit is not None:
        query = query.limit(limit)
    return [{**summary(r), "id": r.id} for r in session.scalars(query)]


def detail(session: Session, request: Request) -> dict[str, Any]:
    data = summary(request)
    quote = session.scalar(
        sa.select(Quote).where(Quote.request_id == request.id).order_by(Quote.version.desc())
    )
    data["quote"] = (
        None
        if quote is None
        else {
            "hours": _hours(quote.hours),
            "amount": str(quote.amount),
            "status": quote.status,
            "approved_by": quote.approved_by,
            "po": quote.po,
            "start_by": _time(quote.start_by),
            "complete_by": quote.complete_by.isoformat() if quote.complete_by else None,
        }
    )
    data["classification"] = request.classification
    inbound = session.scalars(
        sa.select(InboundMessage)
        .where(InboundMessage.request_id == request.id)
        .options(selectinload(InboundMessage.attachments))
        .order_by(InboundMessage.id)
    ).all()
    outbound = session.scalars(
        sa.select(OutboundMessage)
        .where(OutboundMessage.request_id == request.id)
        .order_by(OutboundMessage.id)
    ).all()
    messages = [
        {
            "direction": "in",
            "message_id": m.message_id,
            "from": m.from_address,
            "subject": m.subject,
            "at": _time(m.sent_at or m.stored_at),
            "filing": m.filing.value,
            "reason": m.reason,
            "text": m.new_text,
            "attachments": [
                {
                    "filename": a.filename,
                    "size": a.size,
                    "kept": a.content is not None,
                    "note": a.note,
                }
                for a in m.attachments
            ],
        }
        for m in inbound
    ] + [
        {
            "direction": "out",
            "message_id": m.message_id,
            "to": m.recipients,
            "subject": m.subject,
            "at": _time(m.sent_at or m.created_at),
            "state": m.state,
            "kind": m.kind,
        }
        for m in outbound
    ]
    messages.sort(key=lambda m: m["at"] or "")
    data["messages"] = messages
    events = session.scalars(
        sa.select(Event).where(Event.request_id == request.id).order_by(Event.id)
    ).all()
    data["events"] = [
        {
            "at": _time(e.at),
            "actor": e.actor,
            "kind": e.kind,
            "from": e.from_status.value if e.from_status else None,
            "to": e.to_status.value if e.to_status else None,
            "detail": e.detail,
        }
        for e in events
    ]
    entries = session.scalars(
        sa.select(TimeEntry).where(TimeEntry.request_id == request.id).order_by(TimeEntry.id)
    ).all()
    data["time"] = [
        {
            "date": t.work_date.isoformat(),
            "hours": _hours(t.hours),
            "staff": t.staff_email,
            "note": t.note,
        }
        for t in entries
    ]
    return data

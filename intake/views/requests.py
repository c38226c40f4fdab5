"""Requests as plain data for listings and the machine-readable output of the CLI."""

from __future__ import annotations

from collections.abc import Sequence
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
    folder: str | None = None,
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """``owner``: a staff address, or "" for the requests nobody owns; ``folder``: only
    requests with mail in that mailbox (``ImapSettings.mailbox_name``)."""
    query = sa.select(Request).options(selectinload(Request.client)).order_by(Request.number)
    if status is not None:
        query = query.where(Request.status == status)
    if owner is not None:
        query = query.where(Request.owner == owner if owner else Request.owner.is_(None))
    if client is not None:
        query = query.join(Client).where(Client.slug == client)
    if folder is not None:
        query = query.where(
            sa.exists().where(
                InboundMessage.request_id == Request.id, InboundMessage.mailbox == folder
            )
        )
    if limit is not None:
        query = query.limit(limit)
    found = list(session.scalars(query))
    promised = _promised(session, [r.id for r in found])
    return [{**summary(r), "promised": promised.get(r.id), "id": r.id} for r in found]


def _promised(session: Session, ids: list[int]) -> dict[int, str]:
    """The date each request's latest live quote promised the work done by (ISO)."""
    if not ids:
        return {}
    rows = session.execute(
        sa.select(Quote.request_id, Quote.complete_by)
        .where(
            Quote.request_id.in_(ids),
            Quote.status.in_(("pending", "approved", "included")),
        )
        .order_by(Quote.request_id, Quote.version)
    )
    return {rid: due.isoformat() for rid, due in rows if due is not None}


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
    quotes = session.scalars(
        sa.select(Quote).where(Quote.request_id == request.id).order_by(Quote.version)
    ).all()
    data["timeline"] = _timeline(inbound, outbound, quotes, events, entries)
    return data


def _timeline(
    inbound: Sequence[InboundMessage],
    outbound: Sequence[OutboundMessage],
    quotes: Sequence[Quote],
    events: Sequence[Event],
    entries: Sequence[TimeEntry],
) -> list[dict[str, Any]]:
    """The request as one conversation, oldest first: each email that came in, followed by
    what it caused (changes, quotes, time logged, emails sent), with who and when (UTC,
    ISO 8601). What no email caused (a change from the command line, the SLA check) stands
    after the email filed last before it."""
    arrivals = sorted((m.filed_at or m.stored_at, m.id) for m in inbound)

    def anchor(inbound_id: int | None, at: datetime) -> int:
        if inbound_id is not None:
            return inbound_id
        before = [mid for filed, mid in arrivals if filed <= at]
        return before[-1] if before else 0

    items: list[tuple[tuple[int, int, int], datetime, dict[str, Any]]] = []
    for m in inbound:
        entry: dict[str, Any] = {
            "what": "email in",
            "who": m.from_address or "",
            "subject": m.subject or "",
            "text": m.new_text or m.text or "",
            "filed": m.filing.value,
            "reason": m.reason,
        }
        items.append(((m.id, 0, m.id), m.received_at or m.stored_at, entry))
    for e in events:
        if e.kind in _SHOWN_ELSEWHERE:
            continue
        entry = {
            "what": "change",
            "who": e.actor,
            "kind": e.kind,
            "from": e.from_status.value if e.from_status else None,
            "to": e.to_status.value if e.to_status else None,
            "detail": e.detail,
        }
        items.append(((anchor(e.inbound_id, e.at), 1, e.id), e.at, entry))
    for q in quotes:
        entry = {
            "what": "quote",
            "who": q.created_by or "intake",
            "version": q.version,
            "hours": _hours(q.hours),
            "amount": str(q.amount),
            "status": q.status,
            "complete_by": q.complete_by.isoformat() if q.complete_by else None,
        }
        items.append(((anchor(q.inbound_id, q.created_at), 2, q.id), q.created_at, entry))
    for t in entries:
        entry = {
            "what": "time",
            "who": t.staff_email,
            "hours": _hours(t.hours),
            "date": t.work_date.isoformat(),
            "note": t.note,
        }
        items.append(((anchor(t.inbound_id, t.created_at), 3, t.id), t.created_at, entry))
    for o in outbound:
        entry = {
            "what": "email out",
            "who": ", ".join(o.recipients),
            "subject": o.subject,
            "kind": o.kind,
            "state": o.state,
        }
        items.append(((anchor(o.inbound_id, o.created_at), 4, o.id), o.created_at, entry))
    items.sort(key=lambda item: item[0])
    return [{"at": _time(at), **entry} for _, at, entry in items]


# Events the timeline shows as what they record: the email itself, the time entry.
_SHOWN_ELSEWHERE = frozenset({"follow_up", "time", "relayed", "staff_reply"})

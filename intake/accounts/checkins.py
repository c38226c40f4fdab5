"""Check-ins: the strategy call or planning session a plan promises (``checkin`` in
plans.toml: "monthly" or "quarterly"). Staff get a reminder a week before each client's
check-in is due, with what to talk about; ``#checkin done [date]`` in a reply records it,
and the next is due a cadence after it."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from intake.accounts.models import Checkin, CheckinReminder
from intake.billing.views import open_requests, sla_record_between
from intake.clients.models import Client
from intake.outbox.models import OutboundMessage
from intake.outbox.service import queue_email, staff_recipients
from intake.outbox.templates import day
from intake.plans import CHECKINS, Plan, PriceSheet, price_sheet
from intake.quotes.pricing import ZERO
from intake.requests.models import Request, TimeEntry
from intake.settings import Settings

# How long before a check-in is due staff are reminded of it.
AHEAD = timedelta(days=7)


@dataclass(frozen=True)
class Due:
    client: Client
    plan: Plan
    since: date  # the last check-in, else the contract start
    held_before: bool  # whether ``since`` is a check-in
    on: date


def add_months(day: date, months: int) -> date:
    """The same day ``months`` later, or the month's last day when it has no such day."""
    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def due(session: Session, sheet: PriceSheet, client: Client, today: date) -> Due | None:
    """The client's next check-in, if its plan has them: a cadence after the last one, or
    after the contract start (the day it became a client) when none was held yet."""
    plan = sheet.plans.get(client.plan_on(today))
    if plan is None or plan.checkin is None:
        return None
    last = session.scalar(
        sa.select(sa.func.max(Checkin.held_on)).where(Checkin.client_id == client.id)
    )
    since = last or client.since or client.created_at.date()
    return Due(client, plan, since, last is not None, add_months(since, CHECKINS[plan.checkin]))


def remind(session: Session, settings: Settings, today: date) -> list[OutboundMessage]:
    """A reminder to staff for each check-in due within a week (or overdue) that they were
    not reminded of yet: once per client and due date."""
    if not settings.staff:
        return []
    sheet = price_sheet(settings)
    queued = []
    for client in session.scalars(sa.select(Client).order_by(Client.slug)):
        coming = due(session, sheet, client, today)
        if coming is None or today < coming.on - AHEAD:
            continue
        try:
            with session.begin_nested():
                claimed = CheckinReminder(client_id=client.id, due_on=coming.on)
                session.add(claimed)
                session.flush()
        except IntegrityError:  # reminded already
            continue
        email = queue_email(
            session,
            settings,
            "staff_checkin",
            staff_recipients(settings),
            reminder_context(session, settings, coming, today),
            request=None,
        )
        session.flush()
        claimed.outbound_id = email.id
        queued.append(email)
    return queued


def reminder_context(
    session: Session, settings: Settings, coming: Due, today: date
) -> dict[str, Any]:
    """What staff need for the call: the open requests, the hours and the SLA record since
    the last check-in."""
    client = coming.client
    hours = session.execute(
        sa.select(Request.type, sa.func.sum(TimeEntry.hours))
        .join(Request, Request.id == TimeEntry.request_id)
        .where(Request.client_id == client.id, TimeEntry.work_date >= coming.since)
        .group_by(Request.type)
    ).all()
    by_type = {(kind.value if kind else "question"): Decimal(str(h or 0)) for kind, h in hours}
    return {
        "client_name": client.name,
        "client": client.slug,
        "plan_name": coming.plan.name,
        "cadence": coming.plan.checkin,
        "due_on": day(coming.on),
        "since": day(coming.since),
        "held_before": coming.held_before,
        "overdue": coming.on < today,
        "open_requests": [
            {**row, "promised": day(row["promised"]) if row["promised"] else None}
            for row in open_requests(session, client)
        ],
        "hours": sum(by_type.values(), ZERO),
        "hours_by_type": sorted(by_type.items()),
        "sla": sla_record_between(
            session, settings, client, coming.since, today + timedelta(days=1)
        ),
    }


def record(
    session: Session, client: Client, held_on: date, by: str, inbound_id: int | None
) -> Checkin:
    held = Checkin(client_id=client.id, held_on=held_on, recorded_by=by, inbound_id=inbound_id)
    session.add(held)
    session.flush()
    return held

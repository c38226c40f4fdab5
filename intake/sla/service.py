"""Where each open request stands against its SLA targets; warnings at 75 % and breach
notices, each sent once; and the daily digest of open requests by urgency."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from intake.clients.models import Client
from intake.outbox.models import OutboundMessage
from intake.outbox.service import queue_email, staff_recipients
from intake.outbox.templates import when
from intake.plans import Plan, price_sheet
from intake.requests.models import Request
from intake.requests.states import OPEN
from intake.settings import Settings
from intake.sla.business_hours import BusinessHours, business_hours_for
from intake.sla.clocks import FIRST_RESPONSE_WAITS_ON, Reading, read
from intake.sla.models import Digest, SlaAlert

CLOCK_NAMES = {"first_response": "first response", "resolution": "resolution"}


@dataclass(frozen=True)
class Standing:
    """One request's two clocks at a moment."""

    request: Request
    first_response: Reading
    resolution: Reading

    @property
    def clocks(self) -> tuple[tuple[str, Reading], ...]:
        return (("first_response", self.first_response), ("resolution", self.resolution))

    @property
    def next_due(self) -> datetime | None:
        """The soonest moment a live clock runs out (it may be past); None if none can."""
        live = [r.due_at for _, r in self.clocks if r.state == "running" and r.due_at]
        return min(live, default=None)

    @property
    def breached(self) -> bool:
        return any(r.breached for _, r in self.clocks if r.state in ("running", "paused"))


def client_hours(
    settings: Settings, client: Client, plan: Plan, severity: str, years: Iterable[int]
) -> tuple[BusinessHours, list[str]]:
    """The business hours a client's request of ``severity`` runs on, and any note for staff
    (a country the holidays package does not know is counted without holidays)."""
    zone = ZoneInfo(client.timezone)
    try:
        country = client.country or settings.country
        return business_hours_for(plan, severity, zone, country, years), []
    except ValueError as exc:
        note = f"public holidays not applied: {exc}"
        return business_hours_for(plan, severity, zone, None, years), [note]


def standing(settings: Settings, request: Request, now: datetime) -> Standing | None:
    """The request's clocks, or None when it has none (no client, plan or severity yet)."""
    client = request.client
    sheet = price_sheet(settings)
    if client is None or request.severity is None or client.plan not in sheet.plans:
        return None
    plan, severity = sheet.plan(client.plan), request.severity.value
    opened = request.opened_at
    hours, _ = client_hours(settings, client, plan, severity, range(opened.year, now.year + 2))
    changes = [(e.at, e.to_status) for e in request.events if e.to_status is not None]
    first = read(
        opened,
        changes,
        plan.first_response[severity],
        hours,
        now,
        stopped_at=request.first_response_at,
        waiting=FIRST_RESPONSE_WAITS_ON,
    )
    resolution = read(opened, changes, plan.resolution[severity], hours, now)
    return Standing(request, first, resolution)


def open_standings(session: Session, settings: Settings, now: datetime) -> list[Standing]:
    """Every open request with clocks, the most urgent first (breached, then soonest due)."""
    found = session.scalars(
        sa.select(Request)
        .where(Request.status.in_(OPEN), Request.client_id.is_not(None))
        .options(selectinload(Request.events), selectinload(Request.client))
    )
    standings = [s for s in (standing(settings, r, now) for r in found) if s is not None]
    return sorted(standings, key=urgency)


def urgency(s: Standing) -> tuple[int, datetime, int]:
    """Sort key: requests whose clock can run out, soonest (or longest overdue) first; then
    the rest, oldest first."""
    due = s.next_due
    if due is not None:
        return (0, due, s.request.number)
    return (1, s.request.opened_at, s.request.number)


def check(session: Session, settings: Settings, now: datetime) -> list[OutboundMessage]:
    """Warn at 75 % of a target and tell the leads at a breach, once per clock and level."""
    queued: list[OutboundMessage] = []
    for current in open_standings(session, settings, now):
        for clock, reading in current.clocks:
            if reading.state not in ("running", "paused"):
                continue
            level = "breach" if reading.breached else "warning" if reading.warned else None
            if level is None or not _first_alert(session, current.request, clock, level):
                continue
            queued.append(_alert(session, settings, current.request, clock, level, reading))
    return queued


def _first_alert(session: Session, request: Request, clock: str, level: str) -> bool:
    """Claim the alert; False when it was already sent (by this or a concurrent check)."""
    try:
        with session.begin_nested():
            session.add(SlaAlert(request_id=request.id, clock=clock, level=level))
    except IntegrityError:
        return False
    return True


def _alert(
    session: Session,
    settings: Settings,
    request: Request,
    clock: str,
    level: str,
    reading: Reading,
) -> OutboundMessage:
    zone = request.client.timezone if request.client else settings.timezone
    return queue_email(
        session,
        settings,
        "staff_sla",
        _breach_recipients(settings) if level == "breach" else _working_on(settings, request),
        {
            "subject": request.subject,
            "level": level,
            "clock": CLOCK_NAMES[clock],
            "client": request.client.name if request.client else "",
            "status": request.status.value,
            "percent": min(999, round(reading.fraction * 100)),
            "due": when(reading.due_at, zone) if reading.due_at else "paused",
            "severity": request.severity.value if request.severity else "",
        },
        request=request,
    )


def _working_on(settings: Settings, request: Request) -> list[str]:
    """The staff who have acted on the request, or all staff when nobody has yet."""
    staff = settings.staff_addresses
    acted = sorted({e.actor for e in request.events if e.actor in staff})
    return acted or staff_recipients(settings)


def _breach_recipients(settings: Settings) -> list[str]:
    leads = [m.email for m in settings.staff if m.lead]
    return leads or staff_recipients(settings)


def digest(session: Session, settings: Settings, now: datetime) -> list[OutboundMessage]:
    """The day's digests of open requests by urgency, once per local day of the agency: one
    to each member of staff, with the requests nobody owns first, then their own; a lead's
    also lists everyone else's."""
    today = now.astimezone(settings.zone).date()
    if not settings.staff or not _first_digest(session, today):
        return []
    standings = open_standings(session, settings, now)
    nobodys = [s for s in standings if s.request.owner is None]
    sent = []
    for member in settings.staff:
        sections = [
            ("Nobody's yet", nobodys),
            ("Yours", [s for s in standings if s.request.owner == member.email]),
        ]
        if member.lead:
            others = [s for s in standings if s.request.owner not in (None, member.email)]
            sections.append(("Everyone else's", others))
        listed = [
            {"title": title, "rows": list(_digest_rows(rows, settings))} for title, rows in sections
        ]
        sent.append(
            queue_email(
                session,
                settings,
                "staff_digest",
                [member.email],
                {
                    "day": f"{today:%a %-d %b %Y}",
                    "sections": listed,
                    "count": sum(len(section["rows"]) for section in listed),
                    "lead": member.lead,
                },
                request=None,
            )
        )
    return sent


def _first_digest(session: Session, day: date) -> bool:
    try:
        with session.begin_nested():
            session.add(Digest(day=day))
    except IntegrityError:
        return False
    return True


def _digest_rows(standings: Iterable[Standing], settings: Settings) -> Iterable[dict[str, str]]:
    for s in standings:
        r = s.request
        zone = r.client.timezone if r.client else settings.timezone
        due = s.next_due
        yield {
            "ref": r.ref,
            "subject": r.subject,
            "client": r.client.slug if r.client else "",
            "severity": r.severity.value if r.severity else "",
            "status": r.status.value,
            "owner": r.owner.partition("@")[0] if r.owner else "",
            "due": ("OVERDUE since " if s.breached else "") + (when(due, zone) if due else "—"),
        }

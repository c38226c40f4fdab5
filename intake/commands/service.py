"""Applying a staff member's reply: its #commands all together or not at all, the rest
relayed to the client from the support address, and a short receipt to the sender."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.approvals.service import pending_quote
from intake.classification.examples import keep_correction
from intake.clients.models import Client, Contact
from intake.commands import answers
from intake.commands import grammar as g
from intake.db import utcnow
from intake.errors import IntakeError
from intake.mail.models import Filing, InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.models import OutboundMessage
from intake.outbox.service import Thread
from intake.plans import price_sheet
from intake.quotes.models import Quote
from intake.quotes.pricing import included_hours_left, price
from intake.quotes.service import promised_included_hours, quote_new_request, timeline
from intake.requests import service as requests
from intake.requests.models import Request, TimeEntry
from intake.requests.states import RequestType, Severity, Status
from intake.settings import Settings


class CommandRefused(IntakeError):
    """A well-formed command that cannot apply to this request (the reason says why)."""


@dataclass(frozen=True)
class Days:
    """The agency's calendar days a staff message's dates are read against."""

    today: date  # the day the staff member wrote the message, agency time zone
    opened: date  # the day the request was opened, agency time zone
    zone: str  # the agency's time zone, named in refusals


def command_days(
    session: Session, settings: Settings, request: Request, inbound: InboundMessage
) -> Days:
    """Today and the request's first day, both in the agency's time zone.

    "Now" is when the staff member wrote the message (its Date), never later than the
    clock, so mail filed late (a backlog after an outage, a replayed mailbox) keeps the
    day it was written on; a Date from before the request or after the clock is not
    believed. The request was opened when its first message was written, or when intake
    opened it, whichever came first.
    """
    now = utcnow()
    first = session.scalar(
        sa.select(InboundMessage.sent_at)
        .where(InboundMessage.request_id == request.id)
        .order_by(InboundMessage.id)
        .limit(1)
    )
    opened_at = request.opened_at or now
    if first is not None and first < opened_at:
        opened_at = first
    written = inbound.sent_at
    if written is None or not opened_at <= written <= now:
        written = now
    zone = settings.zone
    return Days(
        written.astimezone(zone).date(), opened_at.astimezone(zone).date(), settings.timezone
    )


def dated(command: g.Command, days: Days, ref: str) -> g.Command:
    """``command`` with its dates checked against ``days``, a dateless #log given today.

    Raises ``CommandRefused`` for work dated after today or before the request was
    opened, and for a due date already past."""
    today = f"today is {days.today} in {days.zone}"
    if isinstance(command, g.Log):
        when = command.work_date or days.today - timedelta(days=command.days_ago)
        if when > days.today:
            raise CommandRefused(f"{when} is in the future ({today})")
        if when < days.opened:
            raise CommandRefused(f"{when} is before {ref} was opened on {days.opened}")
        return dataclasses.replace(command, work_date=when)
    if isinstance(command, g.Quote) and command.due is not None and command.due < days.today:
        raise CommandRefused(f"due {command.due} is in the past ({today})")
    return command


def apply_staff_reply(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    mail: InboundMail,
    staff: str,
) -> list[OutboundMessage]:
    message = g.parse_staff_message(mail.new_text)
    problems = [f"line {e.line}: {e.text} — {e.reason}" for e in message.errors]
    applied: list[str] = []
    requote: list[Quote] = []
    filed: list[OutboundMessage] = []
    if not problems:
        days = command_days(session, settings, request, inbound)
        try:
            with session.begin_nested():
                for command in message.commands:
                    command = dated(command, days, request.ref)
                    if isinstance(command, g.Quote):
                        requote.append(
                            _requote(session, settings, request, inbound, staff, command)
                        )
                        applied.append(
                            f"new quote v{requote[-1].version}: "
                            f"{g.format_hours(command.hours)}, {requote[-1].amount}"
                        )
                        continue
                    if isinstance(command, g.FileUnder):
                        filed = _file_under(session, settings, request, inbound, staff, command)
                        applied.append(f"filed under {command.client}; the client was answered")
                        continue
                    applied.append(_apply(session, request, inbound, staff, command))
        except (CommandRefused, requests.ForbiddenTransition) as exc:
            problems = [f"{g.format_command(command)} — {exc}"]
            applied, requote, filed = [], [], []
    if problems:
        requests.record(session, request, "commands_refused", staff, inbound, "; ".join(problems))
        return [
            answers.receipt(session, settings, request, inbound, mail, staff, problems, [], None)
        ]
    sent: list[OutboundMessage] = list(filed)
    relayed = None
    new_quote = requote[-1] if requote and not message.internal else None
    says = answers.says_something(settings, staff, message.relay_text)
    if (says or new_quote) and request.client_id is not None:
        sent.append(
            answers.relay(session, settings, request, inbound, staff, message.relay_text, new_quote)
        )
        relayed = request.contact_email
        requests.record(session, request, "relayed", staff, inbound, f"to {relayed}")
        if request.first_response_at is None:  # the first reply from a person: SLA met
            request.first_response_at = utcnow()
    receipt = answers.receipt(
        session, settings, request, inbound, mail, staff, [], applied, relayed
    )
    return [*sent, receipt]


def _apply(
    session: Session, request: Request, inbound: InboundMessage, staff: str, command: g.Command
) -> str:
    handler = HANDLERS[type(command)]
    return handler(session, request, inbound, staff, command)


def _correct(s: Session, r: Request, i: InboundMessage, staff: str, c: g.Command) -> str:
    """#type or #severity: a staff correction of the classification."""
    assert isinstance(c, g.SetType | g.SetSeverity)
    field, kind = ("type", RequestType) if isinstance(c, g.SetType) else ("severity", Severity)
    old = getattr(r, field)
    before = old.value if old else "unset"
    setattr(r, field, kind(c.value))
    requests.record(s, r, "correction", staff, i, f"{field} {before} -> {c.value}")
    keep_correction(s, r, staff)
    return f"{field} is now {c.value} (was {before}; kept as a labelled example)"


def _approve(s: Session, r: Request, i: InboundMessage, staff: str, c: g.Command) -> str:
    assert isinstance(c, g.Approve)
    quote = pending_quote(s, r)
    if quote is None:
        raise CommandRefused(f"{r.ref} has no quote waiting for approval")
    if r.client is not None and r.client.requires_po and not c.po:
        raise CommandRefused(f"{r.client.slug} requires a purchase-order number: #approve PO-1234")
    quote.status, quote.approved_by, quote.approved_at, quote.po = "approved", staff, utcnow(), c.po
    requests.move(
        s,
        r,
        Status.APPROVED,
        actor=staff,
        inbound=i,
        detail=f"approved by staff on the client's behalf ({quote.amount})",
    )
    return f"quote v{quote.version} ({quote.amount}) approved on the client's behalf"


def _decline(s: Session, r: Request, i: InboundMessage, staff: str, c: g.Command) -> str:
    quote = pending_quote(s, r)
    if quote is not None:
        quote.status = "declined"
    requests.move(s, r, Status.DECLINED, actor=staff, inbound=i, detail="declined by staff")
    return "declined"


def _log(s: Session, r: Request, i: InboundMessage, staff: str, c: g.Command) -> str:
    assert isinstance(c, g.Log) and c.work_date is not None  # dated() gave it one
    when = c.work_date
    s.add(
        TimeEntry(
            request_id=r.id,
            staff_email=staff,
            hours=c.hours,
            work_date=when,
            note=c.note,
            inbound_id=i.id,
        )
    )
    requests.record(s, r, "time", staff, i, f"{g.format_hours(c.hours)} on {when} {c.note}")
    return f"{g.format_hours(c.hours)} logged for {when}"


def _status(s: Session, r: Request, i: InboundMessage, staff: str, c: g.Command) -> str:
    assert isinstance(c, g.SetStatus)
    target = Status(c.value)
    requests.move(s, r, target, actor=staff, inbound=i, detail="by staff")
    if target is Status.DONE:
        r.closed_at = utcnow()
    return f"status {target.value}"


def _note(s: Session, r: Request, i: InboundMessage, staff: str, c: g.Command) -> str:
    assert isinstance(c, g.Note)
    requests.record(s, r, "note", staff, i, c.text)
    return "internal note added"


def _internal(s: Session, r: Request, i: InboundMessage, staff: str, c: g.Command) -> str:
    return "internal: nothing goes to the client"


Handler = Callable[[Session, Request, InboundMessage, str, g.Command], str]
HANDLERS: dict[type, Handler] = {
    g.SetType: _correct,
    g.SetSeverity: _correct,
    g.Approve: _approve,
    g.Decline: _decline,
    g.Log: _log,
    g.SetStatus: _status,
    g.Note: _note,
    g.Internal: _internal,
}


def _file_under(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    staff: str,
    command: g.FileUnder,
) -> list[OutboundMessage]:
    """#client slug: a held message becomes the client's request, quoted as if it had come
    from one of their people; its sender becomes a contact who may not approve. The move
    out of held is staff's, from their message; the quote that follows reads the client's."""
    if request.status is not Status.HELD:
        raise CommandRefused(f"{request.ref} is not held; #client only files held messages")
    client = session.scalar(sa.select(Client).where(Client.slug == command.client.lower()))
    if client is None:
        raise CommandRefused(f"there is no client {command.client!r} (intake clients list)")
    sender = request.contact_email
    if not sender or sender in settings.staff_addresses:
        raise CommandRefused(f"{request.ref} was not written by a client")
    contact = session.scalar(sa.select(Contact).where(Contact.email == sender))
    if contact is not None and contact.client_id != client.id:
        raise CommandRefused(f"{sender} is a contact of {contact.client.slug}, not {client.slug}")
    opening = session.scalar(
        sa.select(InboundMessage)
        .where(InboundMessage.request_id == request.id)
        .order_by(InboundMessage.id)
        .limit(1)
    )
    if opening is None:
        raise CommandRefused(f"{request.ref} has no message to file")
    if contact is None:
        session.add(Contact(email=sender, can_approve=False, source="mail", client=client))
    request.client, request.hold_reason = client, None
    requests.move(
        session,
        request,
        Status.NEW,
        actor=staff,
        inbound=inbound,
        detail=f"filed under {client.slug} by staff",
    )
    opening.filing, opening.reason = Filing.REQUEST, None
    session.flush()
    thread = Thread(opening.message_id)
    return quote_new_request(
        session, settings, request, opening, thread, opening.new_text or opening.text or ""
    )


def _requote(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    staff: str,
    command: g.Quote,
) -> Quote:
    """A new quote version from staff; the one waiting before it is superseded."""
    client = request.client
    if client is None:
        raise CommandRefused(f"{request.ref} has no client yet")
    sheet = price_sheet(settings)
    if client.plan not in sheet.plans:
        raise CommandRefused(f"{client.slug}'s plan {client.plan!r} is not in the plans file")
    plan = sheet.plan_in_force(client.plan, client.since, utcnow().astimezone(settings.zone).date())
    latest = session.scalar(
        sa.select(Quote).where(Quote.request_id == request.id).order_by(Quote.version.desc())
    )
    if latest is not None and latest.status == "pending":
        latest.status = "superseded"
    rate = client.hourly_rate if client.hourly_rate is not None else sheet.hourly_rate
    left = included_hours_left(plan, promised_included_hours(session, settings, client, request))
    kind = request.type.value if request.type else "question"
    quoted = price(kind, command.hours, plan, rate, left)
    start_by, done_by, _ = timeline(settings, client, plan, request, quoted, utcnow())
    quote = Quote(
        request_id=request.id,
        version=(latest.version + 1) if latest is not None else 1,
        hours=quoted.hours,
        chargeable_hours=quoted.chargeable_hours,
        rate=quoted.rate,
        amount=quoted.amount,
        start_by=start_by,
        complete_by=command.due or done_by,
        status="pending" if quoted.needs_approval else "included",
        token=secrets.token_hex(6),
        created_by=staff,
    )
    session.add(quote)
    session.flush()
    # Work already under way stays under way when the new quote costs nothing more.
    under_way = {Status.APPROVED, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT}
    if quoted.needs_approval or request.status not in under_way:
        target = Status.QUOTED if quoted.needs_approval else Status.APPROVED
        detail = f"quote v{quote.version}: {quoted.hours} h, {quoted.amount}"
        requests.move(session, request, target, actor=staff, inbound=inbound, detail=detail)
    return quote

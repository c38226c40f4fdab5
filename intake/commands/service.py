"""Applying a staff member's reply: its #commands all together or not at all, the rest
relayed to the client from the support address, and a short receipt to the sender."""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.accounts import checkins
from intake.approvals.service import pending_quote
from intake.classification.examples import keep_correction
from intake.clients.models import Client, Contact
from intake.clients.senders import Author, Sender
from intake.commands import answers
from intake.commands import grammar as g
from intake.db import utcnow
from intake.errors import ForbiddenTransition, IntakeError
from intake.mail.models import Filing, InboundMessage, SpamSender
from intake.mail.newtext import own_words
from intake.mail.parsing import parse
from intake.outbox.models import OutboundMessage
from intake.plans import price_sheet
from intake.quotes.estimates import estimate_hours
from intake.quotes.models import Quote
from intake.quotes.pricing import included_hours_left, price
from intake.quotes.service import promised_included_hours, quote_new_request, timeline
from intake.requests.incoming import Incoming
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


def command_days(msg: Incoming) -> Days:
    """Today and the request's first day, both in the agency's time zone.

    "Now" is when the staff member wrote the message (its Date), never later than the
    clock, so mail filed late (a backlog after an outage, a replayed mailbox) keeps the
    day it was written on; a Date from before the request or after the clock is not
    believed. The request was opened when its first message was written, or when intake
    opened it, whichever came first.
    """
    session, request, inbound = msg.session, msg.request, msg.inbound
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
    zone = msg.settings.zone
    return Days(
        written.astimezone(zone).date(), opened_at.astimezone(zone).date(), msg.settings.timezone
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
    if isinstance(command, g.CheckinDone):
        held_on = command.held_on or days.today - timedelta(days=command.days_ago)
        if held_on > days.today:
            raise CommandRefused(f"{held_on} is in the future ({today})")
        return dataclasses.replace(command, held_on=held_on)
    if isinstance(command, g.Quote) and command.due is not None and command.due < days.today:
        raise CommandRefused(f"due {command.due} is in the past ({today})")
    return command


def apply_staff_reply(msg: Incoming) -> list[OutboundMessage]:
    """``msg``: a staff member's reply in a request's thread."""
    session, settings, request, staff = msg.session, msg.settings, msg.request, msg.sender.address
    # Only the staff member's own words: never what their reply quotes or forwards.
    message = g.parse_staff_message(own_words(msg.mail.text))
    problems = [f"line {e.line}: {e.text} — {e.reason}" for e in message.errors]
    applied: list[str] = []
    requote: list[Quote] = []
    filed: list[OutboundMessage] = []
    corrected = any(isinstance(c, g.SetType | g.SetSeverity) for c in message.commands)
    if not problems:
        days = command_days(msg)
        try:
            with session.begin_nested():
                for command in message.commands:
                    command = dated(command, days, request.ref)
                    if isinstance(command, g.Quote):
                        requote.append(_requote(msg, command))
                        applied.append(
                            f"new quote v{requote[-1].version}: "
                            f"{g.format_hours(command.hours)}, {requote[-1].amount}"
                        )
                        continue
                    if isinstance(command, g.Send):
                        if corrected:  # sent corrected, below
                            _suggested(msg)
                            continue
                        requote.append(_send_suggested(msg))
                        applied.append(
                            f"suggested quote sent: {g.format_hours(requote[-1].hours)},"
                            f" {requote[-1].amount}"
                        )
                        continue
                    if isinstance(command, g.FileUnder | g.Open):
                        filed = _file_under(msg, command.client)
                        applied.append(f"filed under {command.client}; the client was answered")
                        continue
                    applied.append(HANDLERS[type(command)](msg, command))
                if corrected and request.status is Status.REVIEW and not message.internal:
                    # Corrected in review: quoted again as corrected, and sent.
                    requote.append(_requote(msg, g.Quote(_estimate(msg), None)))
                    applied.append(
                        f"quote for the corrected request sent: "
                        f"{g.format_hours(requote[-1].hours)}, {requote[-1].amount}"
                    )
        except (CommandRefused, ForbiddenTransition) as exc:
            problems = [f"{g.format_command(command)} — {exc}"]
            applied, requote, filed = [], [], []
    if problems:
        msg.record("commands_refused", "; ".join(problems))
        return _sent(answers.receipt(msg, problems, [], None))
    sent: list[OutboundMessage] = list(filed)
    relayed = None
    new_quote = requote[-1] if requote and not message.internal else None
    says = answers.says_something(settings, staff, message.relay_text)
    digest = answers.words_digest(message.relay_text)
    if says and not new_quote and answers.relayed_today(msg, digest):
        # The same words again (an out-of-office, a resend): the client has them already.
        applied.append(f"your text was not sent again: {request.contact_email} had it today")
        says = False
    if (says or new_quote) and request.client_id is not None:
        sent.append(answers.relay(msg, message.relay_text, new_quote))
        relayed = request.contact_email
        msg.record("relayed", f"to {relayed} (text {digest})")
        if request.first_response_at is None:  # the first reply from a person: SLA met
            request.first_response_at = utcnow()
    return [*sent, *_sent(answers.receipt(msg, [], applied, relayed))]


def _sent(email: OutboundMessage | None) -> list[OutboundMessage]:
    return [email] if email is not None else []


def _correct(msg: Incoming, c: g.Command) -> str:
    """#type or #severity: a staff correction of the classification."""
    assert isinstance(c, g.SetType | g.SetSeverity)
    r = msg.request
    field, kind = ("type", RequestType) if isinstance(c, g.SetType) else ("severity", Severity)
    old = getattr(r, field)
    before = old.value if old else "unset"
    setattr(r, field, kind(c.value))
    msg.record("correction", f"{field} {before} -> {c.value}")
    keep_correction(msg.session, r, msg.sender.address)
    return f"{field} is now {c.value} (was {before}; kept as a labelled example)"


def _approve(msg: Incoming, c: g.Command) -> str:
    assert isinstance(c, g.Approve)
    r = msg.request
    quote = pending_quote(msg.session, r)
    if quote is None:
        raise CommandRefused(f"{r.ref} has no quote waiting for approval")
    if r.client is not None and r.client.requires_po and not c.po:
        raise CommandRefused(f"{r.client.slug} requires a purchase-order number: #approve PO-1234")
    quote.status, quote.approved_by, quote.approved_at, quote.po = (
        "approved",
        msg.sender.address,
        utcnow(),
        c.po,
    )
    msg.move(Status.APPROVED, f"approved by staff on the client's behalf ({quote.amount})")
    return f"quote v{quote.version} ({quote.amount}) approved on the client's behalf"


def _decline(msg: Incoming, c: g.Command) -> str:
    quote = pending_quote(msg.session, msg.request)
    if quote is not None:
        quote.status = "declined"
    msg.move(Status.DECLINED, "declined by staff")
    return "declined"


def _log(msg: Incoming, c: g.Command) -> str:
    assert isinstance(c, g.Log) and c.work_date is not None  # dated() gave it one
    when = c.work_date
    msg.session.add(
        TimeEntry(
            request_id=msg.request.id,
            staff_email=msg.sender.address,
            hours=c.hours,
            work_date=when,
            note=c.note,
            inbound_id=msg.inbound.id,
        )
    )
    msg.record("time", f"{g.format_hours(c.hours)} on {when} {c.note}")
    return f"{g.format_hours(c.hours)} logged for {when}"


def _checkin(msg: Incoming, c: g.Command) -> str:
    assert isinstance(c, g.CheckinDone) and c.held_on is not None  # dated() gave it one
    client = msg.request.client
    if client is None:
        raise CommandRefused(f"{msg.request.ref} is under no client: #client <slug> first")
    checkins.record(msg.session, client, c.held_on, msg.sender.address, msg.inbound.id)
    msg.record("note", f"check-in with {client.slug} held on {c.held_on}")
    coming = checkins.due(msg.session, price_sheet(msg.settings), client, c.held_on)
    after = f"; the next is due {coming.on}" if coming is not None else ""
    return f"check-in with {client.name} on {c.held_on} recorded{after}"


def _status(msg: Incoming, c: g.Command) -> str:
    assert isinstance(c, g.SetStatus)
    target = Status(c.value)
    msg.move(target, "by staff")
    return f"status {target.value}"


def _note(msg: Incoming, c: g.Command) -> str:
    assert isinstance(c, g.Note)
    msg.record("note", c.text)
    return "internal note added"


def _internal(msg: Incoming, c: g.Command) -> str:
    return "internal: nothing goes to the client"


def _spam(msg: Incoming, c: g.Command) -> str:
    return mark_spam(msg.session, msg.settings, msg.request, msg.sender.address, msg.move)


def mark_spam(
    session: Session,
    settings: Settings,
    request: Request,
    by: str,
    move: Callable[[Status, str], object],
) -> str:
    """#spam on held mail: closed as declined, and the sender's later new mail is held
    without a notice (and, as all held mail, never answered)."""
    if request.status is not Status.HELD:
        raise CommandRefused(f"{request.ref} is not held; #spam closes held mail only")
    sender = request.contact_email
    if not sender or sender in settings.staff_addresses:
        raise CommandRefused(f"{request.ref} was not written by someone outside the agency")
    contact = session.scalar(sa.select(Contact).where(Contact.email == sender))
    if contact is not None:
        raise CommandRefused(f"{sender} is a contact of {contact.client.slug}, not a spammer")
    move(Status.DECLINED, "spam")
    if session.scalar(sa.select(SpamSender.id).where(SpamSender.email == sender)) is None:
        session.add(SpamSender(email=sender, flagged_by=by, request_id=request.id))
    return f"closed as spam; later mail from {sender} is held without a notice"


def _assign(msg: Incoming, c: g.Command) -> str:
    assert isinstance(c, g.Assign)
    return assign(msg.request, msg.settings, c.who, by=msg.sender.address, record=msg.record)


def staff_address(settings: Settings, who: str, me: str = "") -> str | None:
    """The address of the staff member ``who`` names ("me" is ``me``); None for "nobody"
    (also "none" or "-"). Refused when it names no one member of staff."""
    if who.lower() in ("nobody", "none", "-"):
        return None
    member = settings.staff_member(me if who.lower() == "me" else who)
    if member is None:
        known = ", ".join(m.email for m in settings.staff) or "none"
        raise CommandRefused(f"{who!r} names no one staff member (staff: {known})")
    return member.email


def assign(
    request: Request,
    settings: Settings,
    who: str,
    *,
    by: str,
    record: Callable[[str, str], object],
) -> str:
    """Give ``request`` to the staff member ``who`` names ("me" is ``by``; "nobody" takes
    it from its owner), recording who did; what changed, in words."""
    owner = staff_address(settings, who, me=by)
    before = request.owner
    if owner == before:
        return f"{request.ref} already has {'no owner' if owner is None else 'owner ' + owner}"
    request.owner = owner
    record("assigned", f"owner {owner or 'nobody'} (was {before or 'nobody'})")
    return f"{request.ref} assigned to {owner}" if owner else f"{request.ref} has no owner now"


Handler = Callable[[Incoming, g.Command], str]
HANDLERS: dict[type, Handler] = {
    g.SetType: _correct,
    g.SetSeverity: _correct,
    g.Approve: _approve,
    g.Decline: _decline,
    g.Log: _log,
    g.SetStatus: _status,
    g.Note: _note,
    g.Internal: _internal,
    g.Assign: _assign,
    g.Spam: _spam,
    g.CheckinDone: _checkin,
}


def main_contact(session: Session, client: Client) -> Contact:
    """Who a request staff open for ``client`` is answered to: its first contact who may
    approve, else its first contact. Refused when the client has none."""
    contact = session.scalar(
        sa.select(Contact)
        .where(Contact.client_id == client.id)
        .order_by(Contact.can_approve.desc(), Contact.id)
        .limit(1)
    )
    if contact is None:
        raise CommandRefused(f"{client.slug} has no contact to answer")
    return contact


def client_named(session: Session, slug: str) -> Client:
    client = session.scalar(sa.select(Client).where(Client.slug == slug.lower()))
    if client is None:
        raise CommandRefused(f"there is no client {slug!r} (intake clients list)")
    return client


def _file_under(msg: Incoming, slug: str) -> list[OutboundMessage]:
    """#client slug (or #open slug): a held message becomes the client's request, quoted as
    if it had come from one of their people; its sender becomes a contact who may not
    approve. Held mail a member of staff wrote (a note of a call) is answered to the
    client's main contact. The move out of held is staff's, from their message; the quote
    that follows reads the client's."""
    session, settings, request = msg.session, msg.settings, msg.request
    if request.status is not Status.HELD:
        raise CommandRefused(f"{request.ref} is not held; #client only files held messages")
    client = client_named(session, slug)
    sender = request.contact_email
    if sender in settings.staff_addresses:
        request.contact_email = sender = main_contact(session, client).email
    if not sender:
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
    author = Author.CONTACT
    if contact is None:
        contact = Contact(email=sender, can_approve=False, source="mail", client=client)
        session.add(contact)
        author = Author.NEW_CONTACT
    request.client, request.hold_reason = client, None
    msg.move(Status.NEW, f"filed under {client.slug} by staff")
    opening.filing, opening.reason = Filing.REQUEST, None
    session.flush()
    # The held message, read again as it was filed, is what the client is quoted for: its
    # new text, or all of it when nothing in it was new.
    mail = parse(opening.raw, max_attachment_bytes=settings.max_attachment_bytes)
    mail = dataclasses.replace(mail, new_text=mail.new_text or mail.text)
    asked = Incoming(
        session, settings, opening, mail, Sender(author, sender, client, contact), request
    )
    return quote_new_request(asked, vouched=True)


def _send_suggested(msg: Incoming) -> Quote:
    """#send: the hours intake suggested for a request in review go to the client as a
    quote, priced and dated now (included hours another request took meanwhile are not
    offered twice; the work is done counting from now, not from the suggestion)."""
    return _requote(msg, g.Quote(_suggested(msg).hours, None))


def _suggested(msg: Incoming) -> Quote:
    """The quote intake suggested for a request in review; refused for any other."""
    session, request = msg.session, msg.request
    if request.status is not Status.REVIEW:
        raise CommandRefused(f"{request.ref} is not in review; #send sends a suggested quote")
    quote = session.scalar(
        sa.select(Quote)
        .where(Quote.request_id == request.id, Quote.status == "suggested")
        .order_by(Quote.version.desc())
        .limit(1)
    )
    if quote is None:
        raise CommandRefused(f"{request.ref} has no suggested quote to send")
    return quote


def _estimate(msg: Incoming) -> Decimal:
    """The hours a request of its (corrected) type and severity is estimated at."""
    request, settings = msg.request, msg.settings
    assert request.client_id is not None
    return estimate_hours(
        msg.session,
        settings.rules_file,
        request.client_id,
        request.type.value if request.type else "question",
        request.severity.value if request.severity else "minor",
        settings.replies.estimate_min_samples,
    ).hours


def _requote(msg: Incoming, command: g.Quote) -> Quote:
    """A new quote version from staff; the one waiting before it is superseded."""
    session, settings, request = msg.session, msg.settings, msg.request
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
    elif latest is not None and latest.status == "suggested":
        latest.status = "unsent"  # replaced before the client saw it
    rate = client.hourly_rate if client.hourly_rate is not None else sheet.hourly_rate
    left = included_hours_left(plan, promised_included_hours(session, settings, client, request))
    kind = request.type.value if request.type else "question"
    quoted = price(kind, command.hours, plan, rate, left)
    start_by, done_by, _ = timeline(settings, client, plan, request, quoted, utcnow())
    quote = Quote(
        request_id=request.id,
        inbound_id=msg.inbound.id,
        version=(latest.version + 1) if latest is not None else 1,
        hours=quoted.hours,
        chargeable_hours=quoted.chargeable_hours,
        rate=quoted.rate,
        amount=quoted.amount,
        start_by=start_by,
        complete_by=command.due or done_by,
        status="pending" if quoted.needs_approval else "included",
        token=secrets.token_hex(6),
        created_by=msg.sender.address,
    )
    session.add(quote)
    session.flush()
    # Work already under way stays under way when the new quote costs nothing more.
    under_way = {Status.APPROVED, Status.IN_PROGRESS, Status.WAITING_ON_CLIENT}
    if quoted.needs_approval or request.status not in under_way:
        target = Status.QUOTED if quoted.needs_approval else Status.APPROVED
        msg.move(target, f"quote v{quote.version}: {quoted.hours} h, {quoted.amount}")
    return quote

"""A staff member's reply to a check-in reminder: ``#checkin done [date]`` records the
check-in with that client (the next is due a cadence after it). The reply must be
authenticated where that is required, and it is bound to the reminder by its thread, so
the client is never read from what the message says. Anything else in it is answered
with what a reply to a reminder takes; nothing is relayed or opened."""

from __future__ import annotations

from datetime import date, timedelta

import sqlalchemy as sa

from intake.accounts import checkins
from intake.accounts.models import CheckinReminder
from intake.clients.models import Client
from intake.clients.senders import Author
from intake.commands import grammar as g
from intake.db import utcnow
from intake.filing.context import FilingContext
from intake.filing.new_requests import hold_new
from intake.filing.outcome import Outcome
from intake.mail.authentication import not_vouched_for
from intake.mail.models import Filing
from intake.mail.newtext import own_words
from intake.outbox.models import OutboundMessage
from intake.outbox.service import Thread, queue_email
from intake.outbox.templates import day
from intake.plans import price_sheet

USAGE = "#checkin done, or #checkin done 2026-12-03 for a day before today"


def staff_checkin(ctx: FilingContext) -> Outcome | None:
    """Staff answering a check-in reminder."""
    if ctx.sender.author is not Author.STAFF:
        return None
    reminder = _reminder(ctx)
    if reminder is None:
        return None
    client = ctx.session.get_one(Client, reminder.client_id)
    why = not_vouched_for(ctx.mail, ctx.settings.authentication)
    if why is not None:
        return hold_new(
            ctx,
            f"check-in for {client.slug} not recorded: the sender was not authenticated ({why})",
        )
    today = utcnow().astimezone(ctx.settings.zone).date()
    held_on, problem = read_checkin(ctx.mail.new_text or ctx.mail.text, today)
    if problem is not None:
        receipt = _receipt(ctx, client, None, problem)
        return ctx.settle(Filing.COMMAND, None, f"check-in for {client.slug}: {problem}", [receipt])
    assert held_on is not None
    checkins.record(ctx.session, client, held_on, ctx.sender.address, ctx.inbound.id)
    receipt = _receipt(ctx, client, held_on, None)
    return ctx.settle(
        Filing.COMMAND, None, f"check-in with {client.slug} on {held_on} recorded", [receipt]
    )


def read_checkin(text: str, today: date) -> tuple[date | None, str | None]:
    """(the day it was held, None), or (None, what is wrong): the reply's own words hold
    one ``#checkin done [day]`` and no other command."""
    message = g.parse_staff_message(own_words(text))
    if message.errors:
        return None, "; ".join(f"line {e.line}: {e.text} — {e.reason}" for e in message.errors)
    said = [c for c in message.commands if not isinstance(c, g.Internal)]
    if len(said) != 1 or not isinstance(said[0], g.CheckinDone):
        got = ", ".join(g.format_command(c) for c in said) or "no command"
        return None, f"a reply to a check-in reminder takes {USAGE}, not {got}"
    done = said[0]
    held_on = done.held_on or today - timedelta(days=done.days_ago)
    if held_on > today:
        return None, f"{held_on} is after today ({today}): record a check-in once it was held"
    return held_on, None


def _reminder(ctx: FilingContext) -> CheckinReminder | None:
    """The reminder this message answers, by its thread: one sent to this sender."""
    ids = [i for i in (*ctx.mail.in_reply_to, *ctx.mail.references) if i]
    if not ids:
        return None
    rows = ctx.session.execute(
        sa.select(CheckinReminder, OutboundMessage.recipients)
        .join(OutboundMessage, OutboundMessage.id == CheckinReminder.outbound_id)
        .where(OutboundMessage.message_id.in_(ids))
        .order_by(CheckinReminder.id.desc())
    ).all()
    for reminder, recipients in rows:
        if ctx.sender.address in (r.lower() for r in recipients):
            return reminder
    return None


def _receipt(
    ctx: FilingContext, client: Client, held_on: date | None, problem: str | None
) -> OutboundMessage:
    context: dict[str, object] = {"client_name": client.name, "problem": problem}
    if held_on is not None:
        coming = checkins.due(ctx.session, price_sheet(ctx.settings), client, held_on)
        context["held_on"] = day(held_on)
        context["next_due"] = day(coming.on) if coming is not None else None
    return queue_email(
        ctx.session,
        ctx.settings,
        "staff_checkin_receipt",
        [ctx.sender.address],
        context,
        request=None,
        inbound=ctx.inbound,
        thread=Thread.answering(ctx.mail),
        counted=True,
    )

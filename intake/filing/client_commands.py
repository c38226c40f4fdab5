"""A client's one-line command in a new email, answered from what is stored: ``STATUS``
(their open requests), ``HOURS`` (this month so far) and ``STATEMENT 2026-10`` (that
month's statement again, to the client's billing addresses only).

A command is the whole new text of the email (a signature below a "--" line aside), or
its subject when the text is empty. It is answered only to a known contact of a client,
only when the agency's server vouches for the mail where that is required, within the
hourly cap of automatic replies, and it never opens a request. Anything else is an
ordinary request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from intake.billing import service as billing
from intake.billing.statement import Period
from intake.billing.views import open_requests, open_work, period_name, status_word
from intake.clients.models import Client
from intake.clients.senders import Author
from intake.db import utcnow
from intake.filing.context import FilingContext
from intake.filing.new_requests import hold_new
from intake.filing.outcome import Outcome
from intake.mail.authentication import not_vouched_for
from intake.mail.models import Filing
from intake.mail.newtext import own_words
from intake.outbox.language import N_, translations
from intake.outbox.models import OutboundMessage
from intake.outbox.service import Thread, over_the_cap, queue_email
from intake.outbox.templates import day
from intake.plans import price_sheet
from intake.quotes.pricing import ZERO
from intake.requests.states import Status

COMMAND = re.compile(r"(status|hours|statement\s+(\d{4}-\d{2}))", re.IGNORECASE)
SIGNATURE = re.compile(r"--\s*")
# What a request in each status waits on, in the client's words.
WAITING = {
    Status.QUOTED: N_("waits for your approval"),
    Status.WAITING_ON_CLIENT: N_("waits for your answer"),
    Status.REVIEW: N_("the cost and timeline follow shortly"),
}
# Why a STATEMENT command sent no statement.
NOT_A_MONTH = N_("%(month)s is not a month")
NOT_OVER = N_("%(month)s is not over yet: its statement is made once it is")
NO_STATEMENT = N_("there is no statement for %(month)s")
NO_BILLING_ADDRESS = N_("%(client)s has no billing address on file with us")


@dataclass(frozen=True)
class Command:
    word: str  # status | hours | statement
    period: str | None = None  # STATEMENT's month

    def __str__(self) -> str:
        return f"{self.word.upper()} {self.period}" if self.period else self.word.upper()


def read_command(subject: str, text: str) -> Command | None:
    """The command the email is, if it is one: its own words (a signature after a "--"
    line left out) are one line that is a command, or none and its subject is one."""
    lines = []
    for line in own_words(text).splitlines():
        if SIGNATURE.fullmatch(line.strip()):
            break
        if line.strip():
            lines.append(line.strip())
    if len(lines) > 1:
        return None
    said = lines[0] if lines else subject.strip()
    match = COMMAND.fullmatch(said.strip(" .!"))
    if match is None:
        return None
    word = match[1].split()[0].lower()
    return Command(word, match[2])


def client_command(ctx: FilingContext) -> Outcome | None:
    """A known contact's command: answered, never a request."""
    sender = ctx.sender
    if sender.author is not Author.CONTACT or sender.client is None:
        return None
    command = read_command(ctx.mail.subject, ctx.mail.new_text or ctx.mail.text)
    if command is None:
        return None
    address = sender.address
    why = not_vouched_for(ctx.mail, ctx.settings.authentication)
    if why is not None:
        return hold_new(
            ctx, f"{command} from {address} not answered: the sender was not authenticated ({why})"
        )
    if over_the_cap(ctx.session, ctx.settings, address):
        reason = f"{command} not answered: replies.max_automatic_per_hour reached for {address}"
        return ctx.settle(Filing.COMMAND, None, reason)
    answer = ANSWERS[command.word](ctx, sender.client, command)
    return ctx.settle(Filing.COMMAND, None, f"{command} answered", answer)


def _reply(
    ctx: FilingContext, kind: str, context: dict[str, Any], *also: OutboundMessage
) -> list[OutboundMessage]:
    contact = ctx.sender.contact
    client = ctx.sender.client
    assert client is not None
    name = contact.name if contact is not None and contact.name else ctx.sender.address
    email = queue_email(
        ctx.session,
        ctx.settings,
        kind,
        [ctx.sender.address],
        {"contact_name": name, **context},
        request=None,
        inbound=ctx.inbound,
        thread=Thread.answering(ctx.mail),
        counted=True,
        language=client.language,
    )
    return [email, *also]


def _status(ctx: FilingContext, client: Client, command: Command) -> list[OutboundMessage]:
    language = client.language
    words = translations(language)
    rows = [
        {
            **row,
            "status": status_word(row["state"], language),
            "promised": _day(row["promised"], language),
            "waits": words.gettext(WAITING[row["state"]]) if row["state"] in WAITING else None,
        }
        for row in open_requests(ctx.session, client)
    ]
    return _reply(ctx, "client_status", {"client_name": client.name, "rows": rows})


def _day(value: date | None, language: str) -> str | None:
    return day(value, language) if value is not None else None


def _hours(ctx: FilingContext, client: Client, command: Command) -> list[OutboundMessage]:
    """This month so far, as the statement would count it if the month ended now."""
    period = Period.of(utcnow().astimezone(ctx.settings.zone).date())
    plan = price_sheet(ctx.settings).plan(client.plan_on(period.first_day))
    shown = billing.preview(ctx.session, ctx.settings, client=client.slug)
    seen = shown[0].context if shown else None
    language = client.language
    work = seen["open_work"] if seen else open_work(ctx.session, client)
    context = {
        "client_name": client.name,
        "period_name": period_name(period, language),
        "plan_name": plan.name,
        "included_hours": plan.included_hours,
        "included_used": seen["included_used"] if seen else ZERO,
        "included_left": seen["included_left"] if seen else plan.included_hours,
        "charged_hours": sum((r["charged"] for r in seen["rows"]), ZERO) if seen else ZERO,
        "billed": shown[0].total if shown else ZERO,
        "open_work": [{**w, "status": status_word(w["state"], language)} for w in work],
    }
    return _reply(ctx, "client_hours", context)


def _statement(ctx: FilingContext, client: Client, command: Command) -> list[OutboundMessage]:
    """That month's stored statement again, to the client's billing addresses only."""
    assert command.period is not None
    sent: list[OutboundMessage] = []
    language = client.language
    words = translations(language)
    try:
        period = Period.parse(command.period)
    except ValueError:
        problem: str | None = words.gettext(NOT_A_MONTH) % {"month": command.period}
    else:
        month = {"month": period_name(period, language)}
        try:
            results = billing.bill(
                ctx.session, ctx.settings, period, client=client.slug, resend=True
            )
        except billing.MonthNotOver:
            problem = words.gettext(NOT_OVER) % month
        except (billing.NothingToResend, billing.BillingError):
            problem = words.gettext(NO_STATEMENT) % month
        else:
            sent = [
                ctx.session.get_one(OutboundMessage, i) for r in results for i in r.outbound_ids
            ]
            problem = None if sent else words.gettext(NO_BILLING_ADDRESS) % {"client": client.name}
    context = {
        "client_name": client.name,
        "period": command.period,
        "sent_to": [address for email in sent for address in email.recipients],
        "problem": problem,
    }
    return _reply(ctx, "client_statement", context, *sent)


ANSWERS = {"status": _status, "hours": _hours, "statement": _statement}

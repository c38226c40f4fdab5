"""`intake requests list|show|open|assign|close|retry|examples`."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any
from zoneinfo import ZoneInfo

import click
import sqlalchemy as sa

from intake.classification.examples import corrections_toml
from intake.cli.common import chosen_mailbox, counted, database, echo_json
from intake.cli.main import Context
from intake.commands.service import (
    CommandRefused,
    assign,
    client_named,
    mark_spam,
    staff_address,
)
from intake.db import transaction, utcnow
from intake.errors import ForbiddenTransition, InvalidInput, NotFound
from intake.filing.service import file_batch
from intake.filing.staff import COMMAND_LINE
from intake.mail.models import Filing, InboundMessage
from intake.mail.store import Fetched, store_raw
from intake.requests import service as requests_service
from intake.requests.service import get_by_ref, record
from intake.requests.states import Status
from intake.sla import service as sla
from intake.views.requests import detail, list_requests


@click.group("requests")
def command() -> None:
    """Requests filed from mail."""


_LIST_ROW = "{:<10} {:<18} {:<12} {:<9} {:<9} {:<26} {:<10} {:<10} {:<28} {}"


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, an ellipsis showing where it was cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


@command.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.option("--status", type=click.Choice([s.value for s in Status]), default=None)
@click.option("--client", default=None, help="Only this client's requests (slug).")
@click.option(
    "--owner", default=None, help='Only the requests of this staff member ("none": nobody\'s).'
)
@click.option("--overdue", is_flag=True, help="Only requests past an SLA target.")
@click.option("--mailbox", default=None, help="Only requests that came in on this address.")
@click.option(
    "--sort",
    type=click.Choice(["number", "due"]),
    default="number",
    help="number: oldest first; due: what falls due next first (overdue at the top).",
)
@click.pass_obj
def list_command(
    ctx: Context,
    as_json: bool,
    status: str | None,
    client: str | None,
    owner: str | None,
    overdue: bool,
    mailbox: str | None,
    sort: str,
) -> None:
    """List requests with their owner and when their SLA next falls due."""
    owner_address = None if owner is None else _staff_address(ctx, owner)
    folder = None if mailbox is None else chosen_mailbox(ctx.settings, mailbox).imap.mailbox_name
    with transaction(database(ctx)) as session:
        rows = list_requests(
            session,
            status=Status(status) if status else None,
            client=client,
            owner=owner_address,
            folder=folder,
        )
        standings = sla.open_standings(session, ctx.settings, utcnow())
    position = {s.request.id: n for n, s in enumerate(standings)}
    for row in rows:
        standing = standings[position[row["id"]]] if row["id"] in position else None
        due = standing.next_due if standing else None
        row["due_at"] = due.isoformat() if due else None
        row["overdue"] = bool(standing and standing.breached)
    if overdue:
        rows = [row for row in rows if row["overdue"]]
    if sort == "due":  # requests without a running clock last, by number
        rows.sort(key=lambda row: position.get(row["id"], len(position)))
    for row in rows:
        del row["id"]
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo("no requests match")
        return
    click.echo(
        _LIST_ROW.format(
            "REF",
            "STATUS",
            "CLIENT",
            "TYPE",
            "SEVERITY",
            "SLA DUE",
            "PROMISED",
            "OWNER",
            "CONTACT",
            "SUBJECT",
        )
    )
    zone = ctx.settings.zone
    for row in rows:
        due_at = row["due_at"]
        due_text = ("OVERDUE " if row["overdue"] else "") + (
            f"{datetime.fromisoformat(due_at).astimezone(zone):%a %-d %b %H:%M}" if due_at else "-"
        )
        click.echo(
            _LIST_ROW.format(
                row["ref"],
                row["status"],
                row["client"] or "-",
                row["type"] or "-",
                row["severity"] or "-",
                due_text,
                row["promised"] or "-",
                (row["owner"] or "-").partition("@")[0],
                row["contact"],
                _cut(row["subject"], 60),
            )
        )


@command.command("show")
@click.argument("ref")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show_command(ctx: Context, ref: str, as_json: bool) -> None:
    """One request as a conversation: every email, quote, time entry and change, oldest
    first, on the agency's clock."""
    with transaction(database(ctx)) as session:
        data = detail(session, get_by_ref(session, ref))
    if as_json:
        echo_json(data)
        return
    click.echo(f"{data['ref']}  {data['subject']}")
    click.echo(
        f"  client {data['client'] or '-'}, contact {data['contact']}, "
        f"owner {data['owner'] or 'nobody'}"
    )
    click.echo(
        f"  status {data['status']}, type {data['type'] or '-'}, severity {data['severity'] or '-'}"
    )
    if data["hold_reason"]:
        click.echo(f"  held: {data['hold_reason']}")
    zone = ctx.settings.zone
    for entry in data["timeline"]:
        for number, line in enumerate(_told(entry)):
            when = _local(entry["at"], zone) if number == 0 else ""
            click.echo(f"{when:<22}{line}")


def _local(at: str | None, zone: ZoneInfo) -> str:
    """An ISO time as staff read it, on the agency's clock: "Mon 2 Nov 2026 10:15"."""
    if at is None:
        return "-"
    return f"{datetime.fromisoformat(at).astimezone(zone):%a %-d %b %Y %H:%M}"


def _told(entry: dict[str, Any]) -> list[str]:
    """One entry of a request's timeline in words: a first line, then any text under it."""
    what, who = entry["what"], entry["who"]
    if what == "email in":
        first = f"{who or '(no sender)'} wrote: {entry['subject']!r}"
        if entry["filed"] in ("held", "machine", "failed"):
            first += f" ({entry['filed']}: {entry['reason']})"
        text = [line for line in entry["text"].splitlines() if line.strip()]
        shown = [f"    {line[:100]}" for line in text[:_TEXT_LINES]]
        more = len(text) - _TEXT_LINES
        return [first, *shown, *([f"    ... {counted(more, 'more line')}"] if more > 0 else [])]
    if what == "email out":
        return [f"to {who}: {entry['subject']!r} ({entry['kind']}, {entry['state']})"]
    if what == "quote":
        due = f", complete by {entry['complete_by']}" if entry["complete_by"] else ""
        return [
            f"quote v{entry['version']} by {who}: {entry['hours']} h, {entry['amount']}"
            f" ({entry['status']}{due})"
        ]
    if what == "time":
        note = f": {entry['note']}" if entry["note"] else ""
        return [f"{who} logged {entry['hours']} h for {entry['date']}{note}"]
    if entry["kind"] == "status":
        moved = f"{entry['from'] or 'new'} -> {entry['to']}"
        return [f"{who}: {moved}" + (f" ({entry['detail']})" if entry["detail"] else "")]
    if entry["kind"] == "opened":
        return [f"{entry['detail']}" + (f", {entry['to']}" if entry["to"] else "")]
    return [f"{who}: {entry['kind'].replace('_', ' ')}: {entry['detail']}".rstrip(": ")]


_TEXT_LINES = 6  # lines of an email's new text shown under it


def _staff_address(ctx: Context, who: str) -> str:
    """The address of the staff member ``who`` names; "" for "none"."""
    try:
        return staff_address(ctx.settings, who) or ""
    except CommandRefused as exc:
        raise InvalidInput(str(exc)) from None


@command.command("assign")
@click.argument("ref")
@click.argument("who")
@click.pass_obj
def assign_command(ctx: Context, ref: str, who: str) -> None:
    """Give a request to a staff member (address, name or "none")."""
    address = _staff_address(ctx, who)  # refused before the database is opened
    with transaction(database(ctx)) as session:
        request = get_by_ref(session, ref)
        said = assign(
            request,
            ctx.settings,
            address or "nobody",
            by="",
            record=lambda kind, detail: record(
                session, request, kind, "intake requests assign", None, detail
            ),
        )
    click.echo(said)


@command.command("open")
@click.argument("client")
@click.argument("subject")
@click.option("--text", required=True, help="What the client asked for (a call, a forward).")
@click.option("--by", default=None, help="The staff member opening it (default: the first lead).")
@click.pass_obj
def open_command(ctx: Context, client: str, subject: str, text: str, by: str | None) -> None:
    """Open a request for a client, quoted and answered to its main contact as if they had
    written it (the emails go out with `intake run`)."""
    settings = ctx.settings
    leads = [m for m in settings.staff if m.lead] or list(settings.staff)
    member = settings.staff_member(by) if by else (leads[0] if leads else None)
    if member is None:
        raise InvalidInput(f"--by {by!r} names no one staff member" if by else "staff: none set")
    raw = opening_email(settings.support_address, member.email, client, subject, text)
    factory = database(ctx)
    with transaction(factory) as session:
        try:  # before anything is stored: a wrong slug leaves nothing behind
            client_named(session, client)
        except CommandRefused as exc:
            raise InvalidInput(str(exc)) from None
        ids = store_raw(session, COMMAND_LINE, None, [Fetched(None, raw)])
        [outcome] = file_batch(session, settings, ids)
    if outcome.filing is not Filing.REQUEST:
        raise InvalidInput(f"not opened: {outcome.reason}")
    click.echo(
        f"{outcome.request_ref} opened for {client}; "
        f"{counted(len(outcome.outbound), 'email')} wait in the outbox for `intake run`"
    )


def opening_email(support: str, staff: str, client: str, subject: str, text: str) -> bytes:
    """The email `requests open` files: from the staff member, saying #open. Pure."""
    message = EmailMessage()
    message["From"] = staff
    message["To"] = support
    message["Subject"] = subject
    message["Date"] = format_datetime(utcnow())
    message["Message-ID"] = make_msgid(domain=support.rpartition("@")[2] or "intake")
    message.set_content(f"#open {client} {subject}\n\n{text}\n")
    return message.as_bytes()


@command.command("close")
@click.argument("ref")
@click.option(
    "--as",
    "outcome",
    type=click.Choice(["done", "declined", "spam"]),
    default="done",
    show_default=True,
    help="done: the work is finished or was dealt with elsewhere; declined: not ours to do; "
    "spam (held mail only): the sender's later mail is held without a notice.",
)
@click.pass_obj
def close_command(ctx: Context, ref: str, outcome: str) -> None:
    """Close a request; nothing is sent to anyone."""
    actor = "intake requests close"
    with transaction(database(ctx)) as session:
        request = get_by_ref(session, ref)

        def move(target: Status, detail: str) -> None:
            requests_service.move(session, request, target, actor=actor, detail=detail)

        try:
            if outcome == "spam":
                said = mark_spam(session, ctx.settings, request, actor, move)
            else:
                target = Status.DONE if outcome == "done" else Status.DECLINED
                move(target, "closed from the command line")
                said = f"{request.ref} {target.value}"
        except (CommandRefused, ForbiddenTransition) as exc:
            raise InvalidInput(str(exc)) from None
    click.echo(said)


@command.command("retry")
@click.argument("ids", nargs=-1, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Every parked message.")
@click.pass_obj
def retry_command(ctx: Context, ids: tuple[int, ...], retry_all: bool) -> None:
    """File parked (failed) messages again, by inbound id or --all."""
    if not ids and not retry_all:
        raise click.UsageError("give inbound ids or --all")
    factory = database(ctx)
    with transaction(factory) as session:
        query = sa.select(InboundMessage).where(InboundMessage.filing == Filing.FAILED)
        if not retry_all:
            known = set(
                session.scalars(sa.select(InboundMessage.id).where(InboundMessage.id.in_(ids)))
            )
            unknown = [str(i) for i in dict.fromkeys(ids) if i not in known]
            if unknown:
                raise NotFound(f"no inbound message {', '.join(unknown)}")
            query = query.where(InboundMessage.id.in_(ids))
        parked = session.scalars(query).all()
        for message in parked:
            message.filing = Filing.PENDING
            message.attempts = 0
            message.error = None
            message.reason = None
        chosen = [m.id for m in parked]
    with transaction(factory) as session:
        outcomes = file_batch(session, ctx.settings, chosen)
    for outcome in outcomes:
        click.echo(
            f"inbound {outcome.inbound_id}: {outcome.filing.value}"
            f"{' ' + outcome.request_ref if outcome.request_ref else ''}"
            f"{' (' + outcome.reason + ')' if outcome.reason else ''}"
        )
    click.echo(f"{counted(len(outcomes), 'message')} re-filed")


@command.command("examples")
@click.pass_obj
def examples_command(ctx: Context) -> None:
    """Staff corrections of type and severity, as labelled examples (TOML) to append to
    the classifier's labelled set: intake requests examples >> tests/data/labelled/house.toml"""
    with transaction(database(ctx)) as session:
        click.echo(corrections_toml(session), nl=False)

"""`intake status`: what is stored, filed, held, parked and waiting to be sent."""

from __future__ import annotations

from typing import Any

import click
import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.cli.common import database, echo_json
from intake.cli.main import Context
from intake.db import transaction
from intake.mail.models import Filing, InboundMessage, MailboxCursor
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request


def status_report(session: Session) -> dict[str, Any]:
    inbound = dict(
        session.execute(
            sa.select(InboundMessage.filing, sa.func.count()).group_by(InboundMessage.filing)
        ).all()
    )
    outbox = dict(
        session.execute(
            sa.select(OutboundMessage.state, sa.func.count()).group_by(OutboundMessage.state)
        ).all()
    )
    requests = dict(
        session.execute(sa.select(Request.status, sa.func.count()).group_by(Request.status)).all()
    )
    cursors = session.scalars(sa.select(MailboxCursor).order_by(MailboxCursor.mailbox)).all()
    return {
        "inbound": {
            "total": sum(inbound.values()),
            **{filing.value: inbound.get(filing, 0) for filing in Filing},
        },
        "outbox": {state: outbox.get(state, 0) for state in ("pending", "sent", "failed")},
        "requests": {status.value: count for status, count in sorted(requests.items())},
        "mailboxes": [
            {
                "mailbox": c.mailbox,
                "uidvalidity": c.uidvalidity,
                "last_uid": c.last_uid,
                "updated_at": c.updated_at.isoformat(),
            }
            for c in cursors
        ],
    }


@click.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def command(ctx: Context, as_json: bool) -> None:
    """Counts of mail in and out, and requests by status."""
    with transaction(database(ctx)) as session:
        report = status_report(session)
    if as_json:
        echo_json(report)
        return
    i = report["inbound"]
    click.echo(
        f"inbound  {i['total']} stored: {i['request']} new requests, {i['follow_up']} "
        f"follow-ups, {i['machine']} from machines, {i['held']} held for staff, "
        f"{i['failed']} parked, {i['pending']} pending"
    )
    o = report["outbox"]
    click.echo(f"outbox   {o['pending']} pending, {o['sent']} sent, {o['failed']} failed")
    click.echo(
        "requests " + (", ".join(f"{n} {s}" for s, n in report["requests"].items()) or "none")
    )
    for cursor in report["mailboxes"]:
        click.echo(
            f"mailbox  {cursor['mailbox']}: UID {cursor['last_uid']} "
            f"(UIDVALIDITY {cursor['uidvalidity']}) at {cursor['updated_at']}"
        )

"""`intake status`: what is stored, filed, held, parked and waiting to be sent."""

from __future__ import annotations

import click

from intake.cli.common import counted, database, echo_json
from intake.cli.main import Context
from intake.db import transaction
from intake.views.status import status_report


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
        f"inbound  {i['total']} stored: {counted(i['request'], 'new request')}, "
        f"{counted(i['follow_up'], 'follow-up')}, {i['machine']} from machines, "
        f"{i['held']} held for staff, {i['failed']} parked, {i['pending']} pending"
        + (f", {counted(i['command'], 'client command')} answered" if i["command"] else "")
        + (
            f" ({i['history']} of them history: in the mailbox before intake first read "
            "it, nobody written to)"
            if i["history"]
            else ""
        )
    )
    o = report["outbox"]
    click.echo(f"outbox   {o['pending']} pending, {o['sent']} sent, {o['failed']} failed")
    if o["sending_error"]:
        click.echo(
            f"         sending fails since {o['failing_since'][:16].replace('T', ' ')} UTC, "
            f"retried with backoff: {o['sending_error']}"
        )
    click.echo(
        "requests " + (", ".join(f"{n} {s}" for s, n in report["requests"].items()) or "none")
    )
    for cursor in report["mailboxes"]:
        click.echo(
            f"mailbox  {cursor['mailbox']}: UID {cursor['last_uid']} "
            f"(UIDVALIDITY {cursor['uidvalidity']}) at {cursor['updated_at']}"
        )

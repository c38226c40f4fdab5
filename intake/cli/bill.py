"""`intake bill`: a month's statements, stored once per client and sent by email."""

from __future__ import annotations

import click

from intake.billing import service as billing
from intake.billing.statement import Period
from intake.cli.common import database, echo_json
from intake.cli.main import Context
from intake.db import transaction
from intake.errors import InvalidInput
from intake.outbox import delivery


@click.command("bill")
@click.option("--period", required=True, help="The month to bill, YYYY-MM.")
@click.option("--dry-run", is_flag=True, help="Compute and show; store and send nothing.")
@click.option("--resend", is_flag=True, help="Send statements already made for the month again.")
@click.option("--client", default=None, help="Only this client (slug).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def command(
    ctx: Context, period: str, dry_run: bool, resend: bool, client: str | None, as_json: bool
) -> None:
    """Bill a month: each client's plan fee and logged hours, never above what they
    approved. A month already billed is not billed again."""
    try:
        month = Period.parse(period)
    except ValueError as exc:
        raise InvalidInput(f"--period: {exc}") from None
    factory = database(ctx)
    settings = ctx.settings
    with transaction(factory) as session:
        results = billing.bill(
            session, settings, month, client=client, dry_run=dry_run, resend=resend
        )
        outbound = [i for r in results for i in r.outbound_ids]
        if not dry_run:
            summary = billing.staff_summary(session, settings, month, results)
            if summary is not None:
                outbound.append(summary.id)
    # Stored first; then sent. What SMTP cannot take now waits in the outbox for `intake run`.
    sent = delivery.deliver(factory, settings, outbound) if outbound else None
    if as_json:
        echo_json(
            [
                {
                    "client": r.client,
                    "period": r.period,
                    "outcome": r.outcome,
                    "total": str(r.total),
                    "lines": r.lines,
                    "sent_to": r.sent_to,
                }
                for r in results
            ]
        )
    else:
        for r in results:
            to = f" -> {', '.join(r.sent_to)}" if r.sent_to else ""
            click.echo(f"{r.client:<16} {r.period}  {r.outcome:<16} {r.total:>12}{to}")
    if sent is not None and sent.deferred:
        click.echo(f"mail waits in the outbox for `intake run`: {sent.deferred}", err=True)

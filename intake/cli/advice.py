"""`intake advice`: which plan would have served each client best over the last months."""

from __future__ import annotations

import click

from intake.accounts.advice import advise, span
from intake.accounts.costs import window
from intake.billing.statement import Period
from intake.cli.common import database, echo_json
from intake.cli.main import Context
from intake.db import utcnow
from intake.errors import InvalidInput


@click.command("advice")
@click.option(
    "--month", default=None, help="The last month compared, YYYY-MM (default: last month)."
)
@click.option(
    "--all", "everyone", is_flag=True, help="Every client with work, not only those worth a word."
)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def command(ctx: Context, month: str | None, everyone: bool, as_json: bool) -> None:
    """What each client was billed over the last months (advice.months, default 3) beside
    what every plan would have cost for the same logged work, under the statements'
    rules. Lists the clients another plan would have saved money, and those with no
    plan paying more than the cheapest plan's fee two months running; stores and sends
    nothing (staff get the same report by email after each month's statements)."""
    settings = ctx.settings
    try:
        last = (
            Period.parse(month)
            if month
            else Period.of(utcnow().astimezone(settings.zone)).previous()
        )
    except ValueError as exc:
        raise InvalidInput(f"--month: {exc}") from None
    with database(ctx)() as session:
        found = advise(session, settings, last)
        shown = found if everyone else [a for a in found if a.flagged]
        currency = settings.billing.currency
        if as_json:
            echo_json([a.as_json(currency) for a in shown])
            return
        periods = window(last, settings.advice.months)
        if not found:
            click.echo(f"{span(periods)}: no client had work or a statement")
            return
        if not shown:
            click.echo(
                f"{span(periods)}: no change to advise for any of the {len(found)} clients"
                " with work (--all lists them)"
            )
            return
        for advice in shown:
            click.echo(advice.line(currency))

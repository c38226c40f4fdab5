"""`intake bill`: a month's statements, stored once per client and sent by email."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import click
from sqlalchemy.orm import Session, sessionmaker

from intake.billing import notices
from intake.billing import service as billing
from intake.billing.documents import statement_pdf
from intake.billing.statement import Period
from intake.billing.views import in_language
from intake.cli.common import database, echo_json
from intake.cli.main import Context
from intake.db import transaction
from intake.errors import InvalidInput
from intake.outbox import delivery
from intake.outbox.templates import render
from intake.quotes.pricing import to_cents
from intake.settings import Settings


@click.command("bill")
@click.option("--period", default=None, help="The month to bill, YYYY-MM.")
@click.option("--dry-run", is_flag=True, help="Compute and show; store and send nothing.")
@click.option("--resend", is_flag=True, help="Send statements already made for the month again.")
@click.option(
    "--preview",
    is_flag=True,
    help="The running month so far, as each client would read it; nothing stored or sent.",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="With --preview: write each statement to this folder as text, HTML and PDF.",
)
@click.option("--client", default=None, help="Only this client (slug).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def command(
    ctx: Context,
    period: str | None,
    dry_run: bool,
    resend: bool,
    preview: bool,
    out: Path | None,
    client: str | None,
    as_json: bool,
) -> None:
    """Bill a month: each client's plan fee and logged hours, never above what they
    approved. A month already billed is not billed again, and a month not over yet only
    with --dry-run, as a preview (--preview shows it as the client would read it)."""
    if preview:
        if period or dry_run or resend or as_json:
            raise InvalidInput("--preview takes only --client and --out (it is the running month)")
        _preview(ctx, client, out)
        return
    if out is not None:
        raise InvalidInput("--out: only with --preview")
    if period is None:
        raise InvalidInput("--period: which month to bill, YYYY-MM (or --preview)")
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
    told = _tell_staff_of_refusals(factory, settings, sent) if sent is not None else None
    delivered = set(sent.sent) if sent is not None else set()
    for r in results:
        if r.outbound_ids and not delivered.issuperset(r.outbound_ids):
            r.sent_to = []  # waiting in the outbox, or refused: not sent to anyone yet
    if as_json:
        echo_json([_as_json(r) for r in results])
    else:
        if dry_run and not billing.month_is_over(settings, month):
            click.echo(f"PREVIEW of {month}, a month not over yet: nothing is stored or sent.")
        for r in results:
            to = f" -> {', '.join(r.sent_to)}" if r.sent_to else ""
            number = (r.invoice or {}).get("number")
            invoice = f"  {number}" if number else ""
            click.echo(
                f"{r.client:<16} {r.period}  {r.outcome:<24} {_money(r.total):>12}{invoice}{to}"
            )
    if sent is not None and sent.waiting:
        click.echo(
            f"refused for now by a recipient's mail server: {len(sent.waiting)} email(s) "
            "wait in the outbox for `intake run`",
            err=True,
        )
    deferred = next((r.deferred for r in (sent, told) if r is not None and r.deferred), None)
    if deferred:
        click.echo(f"mail waits in the outbox for `intake run`: {deferred}", err=True)


def _preview(ctx: Context, client: str | None, out: Path | None) -> None:
    """Each client's statement of the month so far, printed, or written to ``out``."""
    settings = ctx.settings
    with database(ctx)() as session:
        try:
            shown = billing.preview(session, settings, client=client)
        finally:
            session.rollback()  # nothing stored, whatever reading it touched
    if not shown:
        click.echo("nothing to bill so far this month")
        return
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    for each in shown:
        context = in_language(each.context, each.language)
        rendered = render("statement", context, settings.templates_dir, each.language)
        name = f"{each.client}-{each.context['period']}"
        if out is None:
            click.echo(f"==== {each.client}: {rendered.subject}")
            click.echo(rendered.text)
            continue
        (out / f"{name}.txt").write_text(rendered.text, encoding="utf-8")
        (out / f"{name}.html").write_text(rendered.html, encoding="utf-8")
        (out / f"{name}.pdf").write_bytes(statement_pdf(context))
        click.echo(f"{each.client:<16} {_money(each.total):>12}  {out / name}.{{txt,html,pdf}}")


def _tell_staff_of_refusals(
    factory: sessionmaker[Session], settings: Settings, sent: delivery.DeliveryResult
) -> delivery.DeliveryResult | None:
    """A statement the mail server refused, for good or for some of its addresses, is
    named to staff in a notice queued with the refusal; send that now rather than at the
    next `intake run`."""
    if not sent.failed and not sent.refused_in_part:
        return None
    if sent.failed:
        click.echo(f"refused by the mail server for good: {len(sent.failed)} email(s)", err=True)
    if sent.refused_in_part:
        click.echo(
            f"sent, but refused for some recipients: {len(sent.refused_in_part)} email(s)",
            err=True,
        )
    with transaction(factory) as session:
        ids = notices.pending_notices(session)
    return delivery.deliver(factory, settings, ids) if ids else None


def _as_json(r: billing.Billed) -> dict[str, object]:
    return {
        "client": r.client,
        "period": r.period,
        "outcome": r.outcome,
        "total": _money(r.total),
        "lines": r.lines,
        "sent_to": r.sent_to,
        "invoice": r.invoice,
    }


def _money(amount: Decimal) -> str:
    """Always to the cent, as DESIGN.md's JSON shapes show money: "0.00", "1150.00"."""
    return str(to_cents(amount))

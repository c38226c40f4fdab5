"""The demo's readable report: what became of each message of the sample mailbox."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from babel import Locale
from sqlalchemy.orm import Session

from intake.billing.service import Billed
from intake.billing.wording import Wording
from intake.mail.models import Filing, InboundMessage
from intake.outbox.language import SOURCE
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request

VERDICTS = {
    Filing.REQUEST: "new request",
    Filing.FOLLOW_UP: "follow-up on",
    Filing.MACHINE: "machine mail, no reply",
    Filing.HELD: "held for staff",
    Filing.COMMAND: "client command answered, no request",
    Filing.FAILED: "parked (unreadable)",
    Filing.PENDING: "still pending",
}


def inbound_report(session: Session) -> list[str]:
    rows = session.execute(
        sa.select(InboundMessage, Request)
        .outerjoin(Request, InboundMessage.request_id == Request.id)
        .order_by(InboundMessage.uid, InboundMessage.id)
    ).all()
    lines = []
    for n, (message, request) in enumerate(rows, 1):
        sender = message.from_address or "(no sender)"
        subject = (message.subject or "(no subject)")[:58]
        verdict = VERDICTS[message.filing]
        ref = f" {request.ref}" if request is not None else ""
        client = f" [{request.client.slug}]" if request is not None and request.client else ""
        lines.append(f"{n:>3}. {sender:<28} {subject}")
        why = f" — {message.reason}" if message.reason else ""
        now = f", now {request.status.value}" if request is not None else ""
        lines.append(f"     -> {verdict}{ref}{client}{now}{why}")
    return lines


def outbox_report(session: Session) -> list[str]:
    """Every email intake wrote, client replies first, then what staff were told."""
    rows = session.scalars(sa.select(OutboundMessage).order_by(OutboundMessage.id)).all()
    clients = [m for m in rows if m.recipient_key]
    staff = [m for m in rows if not m.recipient_key]
    lines = [f"Replies to clients ({len(clients)}):"]
    lines += [f"  {m.state:<7} to {', '.join(m.recipients)}: {m.subject}" for m in clients]
    lines += ["", f"Told to staff ({len(staff)}):"]
    lines += [f"  {m.state:<7} {m.subject}" for m in staff]
    return lines


def statement_report(
    results: list[Billed], read: dict[str, dict[str, Any]], pdfs: dict[str, Path]
) -> list[str]:
    """Each client's statement: its lines and total, where it was sent, and its PDF (``read``:
    each statement as its client reads it, ``pdfs``: where its PDF was written, by slug)."""
    made = [r for r in results if r.lines]
    lines = [f"Statements for {made[0].period} ({len(made)}):" if made else "No statements."]
    for r in made:
        to = ", ".join(r.sent_to) or "not sent: no billing address"
        invoice = r.invoice or {}
        number = f"invoice {invoice['number']}, " if invoice.get("number") else ""
        lines.append(f"  {r.client}: {number}{r.total} ({r.outcome}) -> {to}")
        for line in r.lines:
            hours = f"{line['hours']} h" if line["hours"] else ""
            what = (line["description"] or "")[:66]
            lines.append(f"      {what:<66} {hours:>7} {line['amount']:>10}")
        if invoice.get("reverse_charge") == "true":
            lines.append(f"      {'no VAT: reverse charge':<66} {'':>7} {invoice['tax']:>10}")
        elif invoice.get("tax_rate"):
            tax = f"tax {invoice['tax_rate']} %"
            lines.append(f"      {tax:<66} {'':>7} {invoice['tax']:>10}")
        if invoice:
            due = f"total due by {invoice['due_on']}"
            lines.append(f"      {due:<66} {'':>7} {invoice['gross']:>10}")
        if r.client in pdfs:
            lines += as_read(read[r.client], pdfs[r.client])
    return lines


def as_read(context: dict[str, Any], pdf: Path) -> list[str]:
    """Where a statement's PDF is and whose language it is in; for a client who reads
    another language than English, the invoice, lines and totals as the PDF says them."""
    said = Wording.of(context)
    language = Locale.parse(said.language).get_display_name("en")
    where = f"      PDF: {pdf} (to {context['client_name']}, in {language})"
    if said.language == SOURCE:
        return [where]
    invoice = context["invoice"]
    lines = [f"{where}, which reads:"]
    if invoice["number"]:
        lines.append(f"        {said.invoice(invoice)}")
    if context["fee"] is not None:
        lines.append(f"        {said.fee(context['fee'])}")
    for row in [*context["rows"], *context["adjustments"]]:
        what = f"{row['ref']} {row['subject']}"[:62]
        hours, amount = said.hours(row["hours"]), said.money(row["amount"])
        lines += [f"        {what:<62} {hours:>9} {amount:>10}", f"          {row['why']}"]
    lines += [f"        {total}" for total in said.totals(invoice)]
    return lines

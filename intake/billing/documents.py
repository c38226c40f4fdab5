"""The files attached to a statement email: a CSV of its lines and a PDF of the statement.
Pure: the statement's context in, bytes out."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from decimal import Decimal
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from intake.outbox.compose import Attachment
from intake.outbox.templates import hours as show_hours
from intake.outbox.templates import money, plan

if TYPE_CHECKING:
    from fpdf import FPDF

# The work tables are set in a fixed-width font, one text line a row: (heading, width in
# characters). A cell per value would cost fpdf ten times the time at a thousand statements.
COLUMNS: tuple[tuple[str, int], ...] = (
    ("Request", 10),
    ("Subject", 38),
    ("Hours", 8),
    ("Included", 9),
    ("Charged", 9),
    ("Not charged", 12),
    ("Amount", 14),
)


def statement_attachments(context: dict[str, Any]) -> list[Attachment]:
    name = f"statement-{context['period']}"
    return [
        # Without the charset, mail programs read text as ASCII or Latin-1 and garble
        # a client's "ä" or an em dash in a request's subject.
        Attachment(f"{name}.csv", "text/csv; charset=utf-8", statement_csv(context)),
        Attachment(f"{name}.pdf", "application/pdf", statement_pdf(context)),
    ]


def statement_csv(context: dict[str, Any]) -> bytes:
    """One row per statement line, as stored: the amounts add up to the total row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["period", "worked in", "kind", "description", "hours", "amount"])
    for line in context["lines"]:
        hours = "" if line["hours"] is None else _plain(line["hours"])
        writer.writerow(
            [
                context["period"],
                line["month"],
                line["kind"],
                line["description"],
                hours,
                line["amount"],
            ]
        )
    writer.writerow([context["period"], "", "total", "Total", "", context["total"]])
    invoice = context["invoice"]
    if invoice["tax"] or invoice["tax_rate"] or invoice["reverse_charge"]:
        label = (
            "VAT, reverse charge" if invoice["reverse_charge"] else f"Tax {invoice['tax_rate']} %"
        )
        writer.writerow([context["period"], "", "tax", label, "", invoice["tax"]])
        writer.writerow([context["period"], "", "due", "Total due", "", invoice["gross"]])
    return out.getvalue().encode("utf-8")


def statement_pdf(context: dict[str, Any]) -> bytes:
    # Imported here: fpdf takes half a second to import, and only billing needs it, not
    # every process and command that imports the billing code.

    pdf = _paged()(format="A4")
    pdf.core_fonts_encoding = "windows-1252"
    pdf.title = f"{context['agency_name']}: statement for {context['period_name']}"
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    invoice = context["invoice"]
    cash = partial(money, currency=context["currency"])
    pdf.set_font("Helvetica", "B", 16)
    _line(pdf, f"{context['agency_name']}: statement for {context['period_name']}", 9)
    pdf.set_font("Helvetica", size=10)
    if context["preview"]:
        _line(pdf, "PREVIEW: the month so far, as it would be billed if it ended today.")
    if invoice["number"]:
        _line(
            pdf,
            f"Invoice {invoice['number']}, issued {invoice['issued_on']}, due {invoice['due_on']}",
        )
    for side, label in (("seller", "From"), ("buyer", "To")):
        party = invoice[side]
        tax_id = [f"Tax ID {party['tax_id']}"] if party["tax_id"] else []
        _line(pdf, f"{label}: " + ", ".join([party["name"], *party["address"], *tax_id]))
    _line(pdf, f"{context['client_name']}, {plan(context['plan_name'])}")
    if context["fee"] is not None:
        _line(pdf, f"Plan fee: {cash(context['fee'])}")
    if context["included_hours"]:
        _line(
            pdf,
            f"Included hours: {show_hours(context['included_used'])} used of "
            f"{show_hours(context['included_hours'])}, {show_hours(context['included_left'])} left",
        )
    pdf.ln(3)
    _table(pdf, "Work this month", context["rows"], cash)
    if context["adjustments"]:
        late = "Adjustments: hours logged late into earlier months"
        _table(pdf, late, context["adjustments"], cash, adjustments=True)
    pdf.set_font("Helvetica", size=10)
    if invoice["tax"] or invoice["tax_rate"] or invoice["reverse_charge"]:
        _line(pdf, f"Net: {cash(invoice['net'])}")
        tax = "VAT" if invoice["reverse_charge"] else f"Tax {invoice['tax_rate']} %"
        _line(pdf, f"{tax}: {cash(invoice['tax'])}")
    pdf.set_font("Helvetica", "B", 11)
    _line(pdf, f"Total due: {cash(invoice['gross'])}", 8)
    pdf.set_font("Helvetica", size=10)
    if invoice["reverse_charge"]:
        pdf.multi_cell(
            0, 5, _latin1(invoice["reverse_charge"]), align="L", new_x="LMARGIN", new_y="NEXT"
        )
    if invoice["due_on"]:
        number = f", quoting {invoice['number']}" if invoice["number"] else ""
        _line(pdf, f"Please pay by {invoice['due_on']} ({invoice['terms_days']} days){number}.")
    sla = context["sla"]
    if sla["responses"] or sla["resolutions"]:  # "0 of 0" tells the client nothing
        _line(
            pdf,
            f"SLA this month: first responses on time {sla['responses_on_time']} of "
            f"{sla['responses']}; resolutions on time {sla['resolutions_on_time']} of "
            f"{sla['resolutions']}",
        )
    if context["open_work"]:
        pdf.ln(2)
        _line(pdf, "Approved work still open:")
        for work in context["open_work"]:
            _line(
                pdf,
                f"  {work['ref']} {_cut(work['subject'], 60)} ({work['status']}), "
                f"approved {cash(work['amount'])}",
            )
    return bytes(pdf.output())


def _heading(pdf: FPDF) -> None:
    pdf.set_font("Courier", "B", 8.5)
    _line(pdf, _row(label for label, _ in COLUMNS), 5)
    pdf.set_font("Courier", size=8.5)


def _table(
    pdf: FPDF,
    title: str,
    rows: list[dict[str, Any]],
    cash: Callable[[Any], str],
    adjustments: bool = False,
) -> None:
    pdf.set_font("Helvetica", "B", 10)
    _line(pdf, title, 7)
    _heading(pdf)
    if not rows:
        _line(pdf, "No hours logged.", 5)
    for row in rows:
        # A row and the words under it stay together; a new page repeats the heading.
        height = 4.5 + 4 + 3.5 * len(row["entries"])
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page()
            pdf.set_font("Helvetica", "B", 10)
            _line(pdf, f"{title} (continued)", 7)
            _heading(pdf)
        late = f" ({row['month']})" if adjustments else ""
        cells = (
            row["ref"],
            _cut(row["subject"], 36 - len(late)) + late,
            show_hours(row["hours"]),
            show_hours(row["covered"] + row["included"]),
            show_hours(row["charged"]),
            show_hours(row["not_charged"]),
            cash(row["amount"]),
        )
        _line(pdf, _row(cells), 4.5)
        # Under the subject, why in words: Courier's request column is 10 characters of
        # 0.6 em at 8.5 pt.
        pdf.set_font("Helvetica", size=7.5)
        pdf.set_x(pdf.l_margin + 10 * 0.6 * 8.5 * 25.4 / 72)
        pdf.cell(0, 4, _latin1(_cut(row["why"], 120)), new_x="LMARGIN", new_y="NEXT")
        for entry in row["entries"]:
            pdf.set_x(pdf.l_margin + 10 * 0.6 * 8.5 * 25.4 / 72)
            said = f"{entry['day']}  {show_hours(entry['hours'])}  {entry['note']}"
            pdf.cell(0, 3.5, _latin1(_cut(said, 120)), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Courier", size=8.5)
    pdf.ln(3)


@cache
def _paged() -> type:
    from fpdf import FPDF

    class Paged(FPDF):
        """Every page numbered at its foot: "Page 2 of 3"."""

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("Helvetica", size=8)
            self.cell(0, 6, f"Page {self.page_no()} of {{nb}}", align="C")

    return Paged


def _cut(text: str, width: int) -> str:
    """``text`` in at most ``width`` characters, an ellipsis where it was cut."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _row(cells: Iterable[str]) -> str:
    parts = []
    for n, ((_, width), text) in enumerate(zip(COLUMNS, cells, strict=True)):
        parts.append(text.ljust(width) if n < 2 else text.rjust(width))
    return "".join(parts)


def _line(pdf: FPDF, text: str, height: float = 6) -> None:
    pdf.cell(0, height, _latin1(text), new_x="LMARGIN", new_y="NEXT")


def _latin1(text: str) -> str:
    """The PDF's built-in fonts know Windows-1252 only (Latin-1 with €, dashes and curly
    quotes); anything else is shown as "?" there (the email itself carries the full text)."""
    return text.encode("windows-1252", "replace").decode("windows-1252")


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")

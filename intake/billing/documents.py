"""The files attached to a statement email: a CSV of its lines and a PDF of the statement.
Pure: the statement's context in, bytes out."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from decimal import Decimal
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from intake.outbox.compose import Attachment
from intake.outbox.templates import hours as show_hours
from intake.outbox.templates import money, plan

if TYPE_CHECKING:
    from fpdf import FPDF

# The work table's columns: heading, width in mm (None: what the others leave), alignment.
COLUMNS: tuple[tuple[str, float | None, str], ...] = (
    ("Request", 21, "L"),
    ("Subject", None, "L"),
    ("Hours", 15, "R"),
    ("Included", 18, "R"),
    ("Charged", 18, "R"),
    ("Not charged", 23, "R"),
    ("Amount", 26, "R"),
)
ROW, WHY, ENTRY = 5.0, 3.8, 3.4  # mm: a row, the words under it, a day's hours
FONT = "DejaVu"  # typeface.FAMILY, named here so that making a CSV does not import fpdf
MARGIN = 15  # mm, every side
GREY = (90, 90, 90)  # the words under a row and the page numbers
RULE = (200, 200, 200)  # the lines between rows
SHADE = (236, 236, 236)  # the table's heading


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
    """The statement as a client files it: who bills whom, the month's work as a table, the
    totals and how to pay, on numbered A4 pages in a typeface the PDF carries."""
    pdf = _document(context)
    invoice = context["invoice"]
    cash = partial(money, currency=context["currency"])
    _title(pdf, f"{context['agency_name']}: statement for {context['period_name']}")
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
        _words(pdf, f"{label}: " + ", ".join([party["name"], *party["address"], *tax_id]))
    _words(pdf, f"{context['client_name']}, {plan(context['plan_name'])}")
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
    _totals(pdf, invoice, cash)
    _closing(pdf, context, cash)
    return bytes(pdf.output(output_producer_class=_typeface().Producer))


def _document(context: dict[str, Any]) -> FPDF:
    pdf = _paged()(format="A4")
    _typeface().use_typeface(pdf)
    number = context["invoice"]["number"]
    pdf.footer_text = _typeface().printable(f"Invoice {number}") if number else ""
    pdf.title = f"{context['agency_name']}: statement for {context['period_name']}"
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN + 5)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.add_page()
    return pdf


def _totals(pdf: FPDF, invoice: dict[str, Any], cash: Callable[[Any], str]) -> None:
    """Net, tax and the total due, right under the amounts they add up, on one page."""
    pdf.set_font(FONT, size=9)
    if pdf.get_y() + 18 > pdf.page_break_trigger:
        pdf.add_page()
    if invoice["tax"] or invoice["tax_rate"] or invoice["reverse_charge"]:
        _line(pdf, f"Net: {cash(invoice['net'])}", 5, align="R")
        tax = "VAT" if invoice["reverse_charge"] else f"Tax {invoice['tax_rate']} %"
        _line(pdf, f"{tax}: {cash(invoice['tax'])}", 5, align="R")
    pdf.set_font(FONT, "B", 11)
    _line(pdf, f"Total due: {cash(invoice['gross'])}", 8, align="R")
    pdf.set_font(FONT, size=9)


def _closing(pdf: FPDF, context: dict[str, Any], cash: Callable[[Any], str]) -> None:
    """The reverse-charge note, how to pay, the month's service record and open work."""
    invoice = context["invoice"]
    if invoice["reverse_charge"]:
        _words(pdf, invoice["reverse_charge"])
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
            after = f" ({work['status']}), approved {cash(work['amount'])}"
            room = pdf.epw - 4 - _typeface().width(pdf, f"{work['ref']} {after}")
            pdf.set_x(pdf.l_margin + 4)
            _line(pdf, f"{work['ref']} {_cut(pdf, work['subject'], room)}{after}")


def _table(
    pdf: FPDF,
    title: str,
    rows: list[dict[str, Any]],
    cash: Callable[[Any], str],
    adjustments: bool = False,
) -> None:
    """One row a request; under it, in words, why it costs what it does, then each day's
    hours and notes. A row keeps its first lines with it; a new page repeats the heading.
    Set with ``pdf.text``: a cell each costs fpdf four times as much, at a thousand
    statements of fifty lines."""
    widths = _widths(pdf)
    _heading(pdf, title, widths)
    if not rows:
        pdf.set_font(FONT, size=8)
        _line(pdf, "No hours logged.", 5)
    for row in rows:
        _room(pdf, ROW + WHY + ENTRY * min(3, len(row["entries"])), title, widths)
        pdf.set_font(FONT, size=8)
        late = f" ({row['month']})" if adjustments else ""
        cells = (
            row["ref"],
            _cut(pdf, row["subject"], widths[1] - 2 * pdf.c_margin, after=late),
            show_hours(row["hours"]),
            show_hours(row["covered"] + row["included"]),
            show_hours(row["charged"]),
            show_hours(row["not_charged"]),
            cash(row["amount"]),
        )
        x = pdf.l_margin
        for (_, _, align), width, text in zip(COLUMNS, widths, cells, strict=True):
            _put(pdf, x, width, ROW, text, align)
            x += width
        pdf.set_y(pdf.get_y() + ROW)
        pdf.set_font(FONT, size=7)
        pdf.set_text_color(*GREY)
        _under(pdf, row["why"], WHY, widths)
        for entry in row["entries"]:
            if _room(pdf, ENTRY, title, widths):  # the row goes on: say whose lines these are
                pdf.set_font(FONT, size=7)
                pdf.set_text_color(*GREY)
                _put(pdf, pdf.l_margin, widths[0], ENTRY, row["ref"], "L")
            said = f"{entry['day']}  {show_hours(entry['hours'])}  {entry['note']}"
            _under(pdf, said.rstrip(), ENTRY, widths)
        pdf.set_text_color(0)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.l_margin + pdf.epw, pdf.get_y() + 0.8)
        pdf.set_y(pdf.get_y() + 1.6)
    pdf.ln(3)


def _widths(pdf: FPDF) -> list[float]:
    fixed = sum(width or 0 for _, width, _ in COLUMNS)
    return [pdf.epw - fixed if width is None else width for _, width, _ in COLUMNS]


def _heading(pdf: FPDF, title: str, widths: list[float]) -> None:
    pdf.set_font(FONT, "B", 10)
    _line(pdf, title, 7)
    pdf.set_font(FONT, "B", 8)
    pdf.set_fill_color(*SHADE)
    pdf.rect(pdf.l_margin, pdf.get_y(), pdf.epw, 6, style="F")
    x = pdf.l_margin
    for (label, _, align), width in zip(COLUMNS, widths, strict=True):
        _put(pdf, x, width, 6, label, align)
        x += width
    pdf.set_y(pdf.get_y() + 7)


def _room(pdf: FPDF, height: float, title: str, widths: list[float]) -> bool:
    """Starts a new page, headed as the table is, unless ``height`` fits on this one."""
    if pdf.get_y() + height <= pdf.page_break_trigger:
        return False
    pdf.add_page()
    pdf.set_text_color(0)
    _heading(pdf, f"{title} (continued)", widths)
    return True


def _under(pdf: FPDF, text: str, height: float, widths: list[float]) -> None:
    """A line of small print under a row's subject, as wide as the rest of the row."""
    room = sum(widths[1:])
    _put(pdf, pdf.l_margin + widths[0], room, height, _cut(pdf, text, room - 2 * pdf.c_margin))
    pdf.set_y(pdf.get_y() + height)


def _put(pdf: FPDF, x: float, width: float, height: float, text: str, align: str = "L") -> None:
    """``text``, already cut to fit, in the box from ``x`` as wide as ``width`` on the
    current line, placed as fpdf's cell would place it."""
    if align == "R":
        x += width - 2 * pdf.c_margin - _typeface().width(pdf, text)
    baseline = pdf.get_y() + 0.5 * height + 0.3 * pdf.font_size
    pdf.text(x + pdf.c_margin, baseline, text)


@cache
def _paged() -> type:
    # Imported here: fpdf takes half a second to import, and only billing needs it, not
    # every process and command that imports the billing code.
    from fpdf import FPDF

    class Paged(FPDF):
        """Every page numbered at its foot, "Page 2 of 3", beside the invoice's number."""

        footer_text = ""

        def footer(self) -> None:
            self.set_y(-MARGIN)
            self.set_font(FONT, size=7)
            self.set_text_color(*GREY)
            self.cell(self.epw / 2, 5, self.footer_text)
            self.cell(self.epw / 2, 5, f"Page {self.page_no()} of {{nb}}", align="R")
            self.set_text_color(0)

    return Paged


def _typeface() -> Any:
    from intake import typeface  # imports fpdf: see _paged

    return typeface


def _title(pdf: FPDF, text: str) -> None:
    pdf.set_font(FONT, "B", 14)
    _words(pdf, text, 7)
    pdf.set_font(FONT, size=9)


def _line(pdf: FPDF, text: str, height: float = 5, align: str = "L") -> None:
    """One line from the cursor to the right margin, cut with an ellipsis if it is wider;
    on the next page if this one is full (``pdf.text`` never breaks a page itself)."""
    x = pdf.get_x()
    if pdf.get_y() + height > pdf.page_break_trigger:
        pdf.add_page()
    room = pdf.l_margin + pdf.epw - x
    _put(pdf, x, room, height, _cut(pdf, text, room - 2 * pdf.c_margin), align)
    pdf.set_y(pdf.get_y() + height)


def _words(pdf: FPDF, text: str, height: float = 5) -> None:
    """Text that may take more than one line, such as an address: wrapped, never cut."""
    text = _typeface().printable(text)
    if _typeface().width(pdf, text) <= pdf.epw - 2 * pdf.c_margin:
        _line(pdf, text, height)  # fpdf's wrapping costs a millisecond; most lines fit
    else:
        pdf.multi_cell(0, height, text, align="L", new_x="LMARGIN", new_y="NEXT")


def _cut(pdf: FPDF, text: str, width: float, after: str = "") -> str:
    """``text`` then ``after``, in at most ``width`` mm in the current font: ``text`` is
    shortened to an ellipsis if the two are wider, by measure, not by counting characters."""
    text = _typeface().printable(text)
    measure = _typeface().width
    if measure(pdf, text + after) <= width:
        return text + after
    fits, over = 0, len(text)  # text[:fits] + "…" + after fits; text[:over] does not
    while over - fits > 1:
        middle = (fits + over) // 2
        if measure(pdf, text[:middle].rstrip() + "…" + after) <= width:
            fits = middle
        else:
            over = middle
    return text[:fits].rstrip() + "…" + after


def _plain(value: Decimal) -> str:
    return format(value.normalize(), "f")

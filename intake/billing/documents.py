"""The files attached to a statement email: a CSV of its lines and a PDF of the statement,
the PDF in the client's language (``wording``). Pure: the statement's context in, bytes out."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from typing import TYPE_CHECKING, Any

from intake.billing.wording import Wording
from intake.outbox.compose import Attachment

if TYPE_CHECKING:
    from fpdf import FPDF

# The work table's columns (headings: Wording.headings): the least width in mm (None: what
# the others leave), alignment.
COLUMNS: tuple[tuple[float | None, str], ...] = (
    (21, "L"),  # Request
    (None, "L"),  # Subject
    (15, "R"),  # Hours
    (18, "R"),  # Included
    (18, "R"),  # Charged
    (23, "R"),  # Not charged
    (26, "R"),  # Amount
)
ROW, WHY, ENTRY = 5.0, 3.8, 3.4  # mm: a row, a line of the words under it, a day's hours
AIR = 1.0  # mm more beside a column widened to its heading or figures, to part it from the next
FONT = "DejaVu"  # typeface.FAMILY, named here so that making a CSV does not import fpdf
MARGIN = 15  # mm, every side
GREY = (90, 90, 90)  # the words under a row and the page numbers
RULE = (200, 200, 200)  # the lines between rows
SHADE = (236, 236, 236)  # the table's heading


def statement_attachments(context: dict[str, Any]) -> list[Attachment]:
    """The CSV and the PDF of a statement context: the PDF in the context's language."""
    name = f"statement-{context['period']}"
    return [
        # Without the charset, mail programs read text as ASCII or Latin-1 and garble
        # a client's "ä" or an em dash in a request's subject.
        Attachment(f"{name}.csv", "text/csv; charset=utf-8", statement_csv(context)),
        Attachment(f"{name}.pdf", "application/pdf", statement_pdf(context)),
    ]


def statement_csv(context: dict[str, Any]) -> bytes:
    """One row per statement line, as stored: the amounts add up to the total row. In
    English whatever the client reads: its column names and words are what a spreadsheet or
    an accounting import matches on, so they stay the same for every client."""
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
    totals and how to pay, on numbered A4 pages in a typeface the PDF carries, in the
    context's ``language`` (its dates and words already in it: ``views.in_language``)."""
    said = Wording.of(context)
    pdf = _document(context, said)
    invoice = context["invoice"]
    _title(pdf, said.title(context))
    if context["preview"]:
        _words(pdf, said.preview())
    if invoice["number"]:
        _words(pdf, said.invoice(invoice))
    for side in ("seller", "buyer"):
        _words(pdf, said.party(side, invoice[side]))
    _words(pdf, f"{context['client_name']}, {said.plan(context['plan_name'])}")
    if context["fee"] is not None:
        _line(pdf, said.fee(context["fee"]))
    if context["included_hours"]:
        left = context["included_left"]
        _words(pdf, said.included(context["included_used"], context["included_hours"], left))
    pdf.ln(3)
    tables = [(said.work(), context["rows"], False)]
    if context["adjustments"]:
        tables.append((said.adjustments(), context["adjustments"], True))
    cells = [[_figures(row, said) for row in rows] for _, rows, _ in tables]
    headings = said.headings()
    widths = _widths(pdf, headings, [figures for each in cells for figures in each])
    columns = _Columns(said, headings, widths)
    for (title, rows, late), figures in zip(tables, cells, strict=True):
        _table(pdf, title, list(zip(rows, figures, strict=True)), columns, adjustments=late)
    _totals(pdf, said.totals(invoice))
    _closing(pdf, context, said)
    return bytes(pdf.output(output_producer_class=_typeface().Producer))


def _document(context: dict[str, Any], said: Wording) -> FPDF:
    pdf = _paged()(format="A4")
    _typeface().use_typeface(pdf)
    number = context["invoice"]["number"]
    pdf.footer_text = _typeface().printable(said.footer(number)) if number else ""
    pdf.page_of = _typeface().printable(said.page_of())
    pdf.title = said.title(context)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.set_auto_page_break(auto=True, margin=MARGIN + 5)
    pdf.set_draw_color(*RULE)
    pdf.set_line_width(0.2)
    pdf.add_page()
    return pdf


def _totals(pdf: FPDF, totals: list[str]) -> None:
    """Net, tax and the total due, right under the amounts they add up, on one page."""
    pdf.set_font(FONT, size=9)
    if pdf.get_y() + 18 > pdf.page_break_trigger:
        pdf.add_page()
    *parts, total = totals
    for part in parts:
        _line(pdf, part, 5, align="R")
    pdf.set_font(FONT, "B", 11)
    _line(pdf, total, 8, align="R")
    pdf.set_font(FONT, size=9)


def _closing(pdf: FPDF, context: dict[str, Any], said: Wording) -> None:
    """The reverse-charge note, how to pay, the month's service record and open work."""
    invoice = context["invoice"]
    if invoice["reverse_charge"]:
        _words(pdf, invoice["reverse_charge"])
    if invoice["due_on"]:
        _words(pdf, said.pay_by(invoice))
    sla = context["sla"]
    if sla["responses"] or sla["resolutions"]:  # "0 of 0" tells the client nothing
        _words(pdf, said.sla(sla))
    if context["open_work"]:
        pdf.ln(2)
        _line(pdf, said.open_work())
        for work in context["open_work"]:
            after = _typeface().printable(said.approved(work))
            room = pdf.epw - 4 - _typeface().width(pdf, f"{work['ref']} {after}")
            pdf.set_x(pdf.l_margin + 4)
            _line(pdf, f"{work['ref']} {_cut(pdf, work['subject'], room)}{after}")


@dataclass(frozen=True)
class _Columns:
    """The work table's headings and widths: the same in each of its tables, on each page."""

    said: Wording
    headings: tuple[str, ...]
    widths: list[float]


def _figures(row: dict[str, Any], said: Wording) -> tuple[str, ...]:
    """A row's cells as written, the subject's left empty: it is cut to fit its column."""
    return tuple(
        _typeface().printable(text)
        for text in (
            row["ref"],
            "",
            said.hours(row["hours"]),
            said.hours(row["covered"] + row["included"]),
            said.hours(row["charged"]),
            said.hours(row["not_charged"]),
            said.money(row["amount"]),
        )
    )


def _table(
    pdf: FPDF,
    title: str,
    rows: list[tuple[dict[str, Any], tuple[str, ...]]],
    columns: _Columns,
    adjustments: bool = False,
) -> None:
    """One row a request (with its ``_figures``); under it, in words, why it costs what it
    does, then each day's hours and notes. A row keeps its first lines with it; a new page
    repeats the heading. Set with ``pdf.text``: a cell each costs fpdf four times as much,
    at a thousand statements of fifty lines."""
    widths, said = columns.widths, columns.said
    _heading(pdf, title, columns)
    if not rows:
        pdf.set_font(FONT, size=8)
        _line(pdf, said.no_hours(), 5)
    for row, figures in rows:
        pdf.set_font(FONT, size=7)
        why = _wrapped(pdf, row["why"], sum(widths[1:]) - 2 * pdf.c_margin)
        _room(pdf, ROW + WHY * len(why) + ENTRY * min(3, len(row["entries"])), title, columns)
        pdf.set_font(FONT, size=8)
        late = f" ({row['month']})" if adjustments else ""
        cells = list(figures)
        cells[1] = _cut(pdf, row["subject"], widths[1] - 2 * pdf.c_margin, after=late)
        x = pdf.l_margin
        for (_, align), width, text in zip(COLUMNS, widths, cells, strict=True):
            _put(pdf, x, width, ROW, text, align)
            x += width
        pdf.set_y(pdf.get_y() + ROW)
        pdf.set_font(FONT, size=7)
        pdf.set_text_color(*GREY)
        for line in why:
            _under(pdf, line, WHY, widths)
        for entry in row["entries"]:
            if _room(pdf, ENTRY, title, columns):  # the row goes on: say whose lines these are
                pdf.set_font(FONT, size=7)
                pdf.set_text_color(*GREY)
                _put(pdf, pdf.l_margin, widths[0], ENTRY, row["ref"], "L")
            said_day = f"{entry['day']}  {said.hours(entry['hours'])}  {entry['note']}"
            _under(pdf, said_day.rstrip(), ENTRY, widths)
        pdf.set_text_color(0)
        pdf.line(pdf.l_margin, pdf.get_y() + 0.8, pdf.l_margin + pdf.epw, pdf.get_y() + 0.8)
        pdf.set_y(pdf.get_y() + 1.6)
    pdf.ln(3)


def _wrapped(pdf: FPDF, text: str, width: float) -> list[str]:
    """``text`` in as many lines of at most ``width`` mm as it takes, broken between words:
    why a row costs what it does is read whole (in German it is longer than in English)."""
    text = _typeface().printable(text)
    measure = _typeface().width
    if measure(pdf, text) <= width:
        return [text]
    lines = [""]
    for word in text.split(" "):
        longer = f"{lines[-1]} {word}".lstrip(" ")
        if lines[-1] and measure(pdf, longer) > width:
            lines.append(word)
        else:
            lines[-1] = longer
    return [_cut(pdf, line, width) for line in lines]  # a word wider than a line is cut


def _widths(pdf: FPDF, headings: tuple[str, ...], cells: list[tuple[str, ...]]) -> list[float]:
    """Each column as wide as ``COLUMNS`` sets, or as its heading or widest figure needs
    where that is more (a translated heading, German hours: "12,75 Std."); the subject has
    what the others leave."""
    measure = _typeface().width
    pdf.set_font(FONT, "B", 8)
    needed = [measure(pdf, _typeface().printable(heading)) for heading in headings]
    pdf.set_font(FONT, size=8)
    for row in cells:
        needed = [max(need, measure(pdf, text)) for need, text in zip(needed, row, strict=True)]
    fitted = [
        None if least is None else max(least, need + 2 * pdf.c_margin + AIR)
        for (least, _), need in zip(COLUMNS, needed, strict=True)
    ]
    rest = pdf.epw - sum(width or 0 for width in fitted)
    return [rest if width is None else width for width in fitted]


def _heading(pdf: FPDF, title: str, columns: _Columns) -> None:
    pdf.set_font(FONT, "B", 10)
    _line(pdf, title, 7)
    pdf.set_font(FONT, "B", 8)
    pdf.set_fill_color(*SHADE)
    pdf.rect(pdf.l_margin, pdf.get_y(), pdf.epw, 6, style="F")
    x = pdf.l_margin
    for (_, align), width, label in zip(COLUMNS, columns.widths, columns.headings, strict=True):
        _put(pdf, x, width, 6, _typeface().printable(label), align)
        x += width
    pdf.set_y(pdf.get_y() + 7)


def _room(pdf: FPDF, height: float, title: str, columns: _Columns) -> bool:
    """Starts a new page, headed as the table is, unless ``height`` fits on this one."""
    if pdf.get_y() + height <= pdf.page_break_trigger:
        return False
    pdf.add_page()
    pdf.set_text_color(0)
    _heading(pdf, columns.said.continued(title), columns)
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
        """Every page numbered at its foot, "Page 2 of 3", beside the invoice's number, in
        the statement's language."""

        footer_text = ""
        page_of = "Page %(page)s of %(pages)s"  # Wording.page_of

        def footer(self) -> None:
            self.set_y(-MARGIN)
            self.set_font(FONT, size=7)
            self.set_text_color(*GREY)
            self.cell(self.epw / 2, 5, self.footer_text)
            # "{nb}": fpdf puts the number of pages there once they are all made.
            pages = self.page_of % {"page": self.page_no(), "pages": "{nb}"}
            self.cell(self.epw / 2, 5, pages, align="R")
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

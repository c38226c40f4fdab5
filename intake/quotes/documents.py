"""The statement-of-work PDF of a quote. Pure: its context in, bytes out."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from intake.outbox.templates import hours as show_hours
from intake.outbox.templates import money, plan

if TYPE_CHECKING:
    from fpdf import FPDF

FONT = "DejaVu"  # typeface.FAMILY, named here so that importing this does not import fpdf


def sow_pdf(context: dict[str, Any]) -> bytes:
    # Imported here: fpdf takes half a second to import, and only quotes for clients who
    # want a statement of work need it.
    from fpdf import FPDF

    from intake import typeface

    cash = partial(money, currency=context["currency"])
    pdf = FPDF(format="A4")
    typeface.use_typeface(pdf)
    pdf.title = f"Statement of work {context['number']}"
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font(FONT, "B", 16)
    _text(pdf, f"Statement of work {context['number']}", 9)
    pdf.set_font(FONT, size=10)
    version = f", quote v{context['version']}" if context["version"] > 1 else ""
    _text(pdf, f"{context['ref']}{version}: {context['subject']}")
    _text(pdf, f"Issued {context['issued']}")
    pdf.ln(2)
    agency = [context["agency"], *context["agency_address"].splitlines()]
    if context["agency_tax_id"]:
        agency.append(f"Tax ID {context['agency_tax_id']}")
    _party(pdf, "From", agency)
    _party(pdf, "For", [context["client_name"], *context["client_address"].splitlines()])

    _section(pdf, "Scope")
    _para(pdf, "What you asked for, in your words:")
    _para(pdf, context["asked"] or "(no text)", size=9, indent=4)
    if context["notes"]:
        _para(pdf, "Our notes:")
        _para(pdf, context["notes"], size=9, indent=4)

    _section(pdf, "Estimate and price")
    rows = [
        ("Kind of work", f"{context['type']}, {context['severity']}"),
        ("Estimate", show_hours(context["hours"])),
    ]
    if context["included_hours"]:
        rows.append(("Included in your plan", show_hours(context["included_hours"])))
    if context["amount"]:
        rows.append(
            (
                "Charged",
                f"{show_hours(context['chargeable_hours'])} at {cash(context['rate'])} an hour",
            )
        )
        rows.append(("Price, at most", cash(context["amount"])))
    else:
        rows.append(("Price", f"no charge beyond your {plan(context['plan_name'])}"))
    rows += [("We start by", context["start_by"]), ("Complete by", context["complete_by"])]
    if context["requires_po"]:
        rows.append(("Purchase order", context["po"] or "____________________ (required)"))
    for label, value in rows:
        _pair(pdf, label, value)

    _section(pdf, "Terms")
    for paragraph in context["terms"].strip().split("\n"):
        if paragraph.strip():
            _para(pdf, paragraph.strip(), size=9)
    pdf.ln(2)
    _para(pdf, f"Questions: {context['support_address']}, quoting {context['ref']}.", size=9)
    return bytes(pdf.output(output_producer_class=typeface.Producer))


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(3)
    pdf.set_font(FONT, "B", 12)
    _text(pdf, title, 8)
    pdf.set_font(FONT, size=10)


def _party(pdf: FPDF, label: str, lines: list[str]) -> None:
    """One line: the name, then the address (which often repeats the name first)."""
    shown: list[str] = []
    for line in (line.strip() for line in lines):
        if line and line not in shown:
            shown.append(line)
    _pair(pdf, label, ", ".join(shown))


def _pair(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font(FONT, size=10)
    pdf.set_text_color(87, 96, 106)
    pdf.cell(45, 6, _shown(label))
    pdf.set_text_color(0, 0, 0)
    pdf.multi_cell(0, 6, _shown(value), new_x="LMARGIN", new_y="NEXT")


def _para(pdf: FPDF, text: str, size: float = 10, indent: float = 0) -> None:
    pdf.set_font(FONT, size=size)
    pdf.set_x(pdf.l_margin + indent)
    pdf.multi_cell(0, size * 0.5, _shown(text), align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)


def _text(pdf: FPDF, text: str, height: float = 6) -> None:
    pdf.multi_cell(0, height, _shown(text), new_x="LMARGIN", new_y="NEXT")


def _shown(text: str) -> str:
    """``text`` as the typeface sets it (Latin, Greek, Cyrillic; anything else as "?")."""
    from intake.typeface import printable

    return "\n".join(printable(line) for line in text.split("\n"))

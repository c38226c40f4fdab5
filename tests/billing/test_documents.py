"""The statement PDF as a client files it: every name, line and total in the text, in any of
the scripts clients write in, in fonts it carries, a table that breaks across pages, and
pages that keep to their margins; in the client's language, every word of it. No server: a
statement's context in, bytes out."""

from __future__ import annotations

import io
import subprocess
import unicodedata
from datetime import date
from decimal import Decimal
from itertools import pairwise
from pathlib import Path

import pypdf
import pytest
from fontTools.ttLib import TTFont
from PIL import Image

from intake.billing.documents import MARGIN, statement_pdf
from intake.billing.views import in_language
from intake.outbox.templates import day, money
from intake.requests.states import Status

NAMES = ("Nørdwind Trädérs ApS", "Ελληνική Εταιρεία", "ООО Ромашка")
SUBJECTS = (
    "CSV export of orders",
    "Σφάλμα στην αναφορά πωλήσεων",
    "Отчёт по продажам не открывается",
    "Hjælp: fakturaer – “hurtigt”",
    "Zażółć gęślą jaźń — ș ț",
)


def row(n: int, subject: str, notes: tuple[str, ...] = ("",)) -> dict:
    return {
        "ref": f"REQ-{1001 + n}",
        "subject": subject,
        "type": "feature",
        "month": "2026-10",
        "hours": Decimal("7.5"),
        "covered": Decimal("0"),
        "included": Decimal("2"),
        "charged": Decimal("5"),
        "not_charged": Decimal("0.5"),
        "amount": Decimal(f"{700 + n}.50"),
        "why": "2 h from your included hours; 5 h charged as approved; "
        "0.5 h beyond the approved estimate: not charged",
        "entries": [
            {
                "day": f"Thu {day} Oct",
                "date": date(2026, 10, day),
                "hours": Decimal("0.75"),
                "note": note,
            }
            for day, note in enumerate(notes, 1)
        ],
    }


def context(client: str, rows: list[dict]) -> dict:
    """What views.statement_context gives a statement with tax, a fee and open work."""
    net = sum((r["amount"] for r in rows), Decimal("500.00"))
    tax = (net * Decimal("0.2")).quantize(Decimal("0.01"))
    return {
        "agency_name": "Example Agency",
        "client_name": client,
        "period": "2026-10",
        "period_name": "October 2026",
        "plan_name": "Professional",
        "fee": Decimal("500.00"),
        "included_hours": Decimal("10"),
        "included_used": Decimal("10"),
        "included_left": Decimal("0"),
        "rows": rows,
        "adjustments": [],
        "lines": [],
        "total": net,
        "preview": False,
        "language": "en",
        "currency": "EUR",
        "invoice": {
            "number": "EA-2026-00017",
            "issued_on": "Sun 1 Nov 2026",
            "due_on": "Tue 1 Dec 2026",
            "issued": date(2026, 11, 1),
            "due": date(2026, 12, 1),
            "terms_days": 30,
            "seller": {
                "name": "Example Agency Ltd",
                "address": ["1 High Street", "London EC1A 1AA"],
                "tax_id": "GB 123 4567 89",
            },
            "buyer": {"name": client, "address": ["Nørregade 1", "1165 København"], "tax_id": None},
            "net": net,
            "tax_rate": "20",
            "tax": tax,
            "gross": net + tax,
            "reverse_charge": None,
        },
        "sla": {"responses": 4, "responses_on_time": 4, "resolutions": 3, "resolutions_on_time": 2},
        "open_work": [
            {
                "ref": "REQ-1090",
                "subject": "Новый отчёт для ООО Ромашка",
                "status": "in progress",
                "state": Status.IN_PROGRESS,
                "hours": Decimal("4"),
                "amount": Decimal("600.00"),
            }
        ],
    }


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages]


def long_statement() -> bytes:
    """Forty requests in three scripts, a few days logged on each and ninety on one, more
    than a page of them: five pages."""
    notes = ("Looked at the logs with Ωμέγα", "Созвон с клиентом", "Fixed and deployed")
    rows = [row(n, f"{SUBJECTS[n % len(SUBJECTS)]} #{n}", notes) for n in range(40)]
    rows[20]["entries"] *= 30
    return statement_pdf(context("Ελληνική Εταιρεία", rows))


@pytest.mark.parametrize("client", NAMES)
def test_every_name_line_and_total_reads_back_as_written(client):
    # Given a statement whose client, subjects and staff notes are in Latin, Greek and
    # Cyrillic letters, the client's name sent decomposed (an "ä" as "a" and an accent)
    notes = ("Ωμέγα: έλεγχος", "Проверил журнал", "Tjekket med “Søren” – færdig…")
    rows = [row(n, subject, notes) for n, subject in enumerate(SUBJECTS)]
    sent = context(unicodedata.normalize("NFD", client), rows)
    # When its PDF is made and a program reads its text back
    text = "\n".join(pages(statement_pdf(sent)))
    # Then every name, subject, note, amount and total is there as written
    assert client in text
    assert "Nørregade 1, 1165 København" in text
    for each in rows:
        assert f"{each['ref']} {each['subject']} 7.5 h 2 h 5 h 0.5 h €{each['amount']}" in text
        for entry in each["entries"]:
            assert f"{entry['day']}  0.75 h  {entry['note']}" in text
    invoice = sent["invoice"]
    assert f"Net: €{invoice['net']:,}" in text and f"Tax 20 %: €{invoice['tax']:,}" in text
    assert f"Total due: €{invoice['gross']:,}" in text
    assert "REQ-1090 Новый отчёт для ООО Ромашка (in progress), approved €600.00" in text
    assert "?" not in text, "no letter was replaced"


def test_the_fonts_are_embedded_with_an_outline_for_every_letter_shown():
    pdf = pypdf.PdfReader(io.BytesIO(long_statement()))
    shown = set("".join(page.extract_text() for page in pdf.pages)) - set(" \n")
    fonts = pdf.pages[0]["/Resources"]["/Font"]
    assert len(fonts) == 2, "regular and bold"
    drawn: set[str] = set()
    for font in fonts.values():
        font = font.get_object()
        assert font["/Subtype"] == "/Type0", "no built-in font"
        [cid_font] = font["/DescendantFonts"]
        descriptor = cid_font.get_object()["/FontDescriptor"]
        assert "+DejaVuSans" in descriptor["/FontName"]
        program = TTFont(io.BytesIO(descriptor["/FontFile2"].get_data()))
        glyf, cmap = program["glyf"], program.getBestCmap()
        here = {char for char in shown if glyf[cmap[ord(char)]].numberOfContours}
        # An accented letter drawn from parts carries its parts
        for char in here:
            for part in glyf[cmap[ord(char)]].getComponentNames(glyf):
                assert glyf[part].numberOfContours, f"{char!r} lacks its part {part}"
        assert len(descriptor["/FontFile2"].get_data()) < 60_000, "a subset, not the font"
        drawn |= here
    assert drawn == shown, "every letter shown has its outline in one style or the other"


def test_a_subject_too_long_for_its_column_is_cut_by_its_width_with_an_ellipsis():
    wide, narrow = "W" * 90, "i" * 90
    text = "\n".join(pages(statement_pdf(context("Acme", [row(0, wide), row(1, narrow)]))))
    kept_wide = next(line for line in text.splitlines() if "W…" in line).count("W")
    kept_narrow = next(line for line in text.splitlines() if "i…" in line).count("i")
    # Each is cut where the column ends, not at a number of characters, and the amounts
    # beside them are whole
    assert 10 < kept_wide < kept_narrow / 2
    assert "…" in text and "€700.50" in text and "€701.50" in text


def test_a_letter_the_typeface_lacks_is_shown_as_a_question_mark():
    text = "\n".join(pages(statement_pdf(context("株式会社 Ромашка", [row(0, "Emoji 🎉 ok")]))))
    assert "???? Ромашка" in text and "Emoji ? ok" in text


def test_a_long_table_breaks_across_pages_repeating_its_heading():
    texts = pages(long_statement())
    assert len(texts) == 5
    for number, words in enumerate(texts, 1):
        assert f"Page {number} of {len(texts)}" in words
        assert "Invoice EA-2026-00017" in words, "each page says whose it is"
    table_pages = [words for words in texts if "REQ-10" in words]
    for words in table_pages[1:]:
        assert "Work this month (continued)" in words
        assert "Request Subject Hours Included Charged Not charged Amount" in words
    everything = "\n".join(texts)
    for n in range(40):
        assert f"REQ-{1001 + n} " in everything
    # The request with ninety days logged goes on over a page; the page it goes on to says
    # whose days they are
    spilled = [words for words in texts if words.count("Thu 1 Oct  0.75 h") > 20]
    assert spilled and all("REQ-1021 Thu" in " ".join(words.split()) for words in spilled)
    assert "Total due: €" in texts[-1]


def test_rendered_pages_keep_to_their_margins_with_amounts_flush_right(tmp_path: Path):
    # Given a statement of more than one page, drawn by poppler at 80 dots an inch
    (tmp_path / "statement.pdf").write_bytes(long_statement())
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "statement.pdf", "page"], cwd=tmp_path, check=True
    )
    drawn = sorted(tmp_path.glob("page-*.png"))
    assert len(drawn) == 5
    mm = 80 / 25.4
    for path in drawn:
        page = Image.open(path).convert("L")
        assert abs(page.width - 210 * mm) < 2 and abs(page.height - 297 * mm) < 2, "A4"
        # Then the ink (not the grey of the heading's band or the rules) stays inside the
        # margins, and on a page of the table the amounts end at the right margin
        left, top, right, bottom = page.point(lambda v: 255 if v < 128 else 0).getbbox()
        assert left >= (MARGIN - 0.5) * mm and right <= (210 - MARGIN + 0.5) * mm
        assert top >= (MARGIN - 0.5) * mm and bottom <= (297 - MARGIN + 5) * mm
        if path != drawn[-1]:
            assert right >= (210 - MARGIN - 2) * mm, f"{path.name}: amounts flush right"


# -- in the client's language ----------------------------------------------------------------

# What the English PDF says in its own words: none of it may be left in a translated one.
ENGLISH = (
    "statement for", "PREVIEW", "Invoice", "issued", "due", "From:", "To:", "Tax ID",
    "Plan fee", "plan", "Included hours", "Work this month", "Adjustments", "continued",
    "Request", "Subject", "Hours", "Included", "Charged", "Not charged", "Amount",
    "Net:", "Tax ", "VAT", "Total due", "Please pay", "quoting", "SLA this month", "on time",
    "Approved work", "approved", "in progress", "from your included hours", "Page",
)  # fmt: skip


def translated(language: str, rows: int = 2, **changed) -> str:
    """The text of a statement in USD, its first row $1,150.00, as ``language`` reads it
    (worded by views.in_language, as billing sends it): a preview, with an adjustment."""
    work = [row(n, f"Σφάλμα {n}") for n in range(rows)]
    work[0]["amount"] = Decimal("1150.00")
    sent = context("Ελληνική Εταιρεία", work)
    sent["adjustments"] = [{**row(9, "Отчёт"), "month": "2026-09"}]
    sent = {**sent, "currency": "USD", "preview": True, **changed}
    # Lines read as one: a long row's why goes on to a second line
    return " ".join(pages(statement_pdf(in_language(sent, language)))).replace("\n", " ")


def test_a_german_clients_pdf_is_in_german_from_its_title_to_its_footer():
    # Given a statement as Zed GmbH, who reads German, gets it
    text = translated("de")
    # Then it is a Rechnung, its dates, money and hours as German writes them
    assert "Example Agency: Abrechnung für Oktober 2026" in text
    assert "VORSCHAU: der Monat bis heute" in text
    assert (
        "Rechnung EA-2026-00017 vom Sonntag, 1. November 2026, fällig am Dienstag, 1. Dezember 2026"
    ) in text
    assert (
        "Von: Example Agency Ltd, 1 High Street, London EC1A 1AA, USt-IdNr. GB 123 4567 89" in text
    )
    assert "Paketgebühr: 500,00\xa0$" in text and "Professional-Paket" in text
    assert "Inklusivstunden: 10\xa0Std. von 10\xa0Std. genutzt, 0\xa0Std. übrig" in text
    assert "Arbeiten in diesem Monat" in text and "Nachträge:" in text
    assert "Anfrage Betreff Stunden Inklusiv Berechnet Nicht berechnet Betrag" in text
    assert "REQ-1001 Σφάλμα 0 7,5\xa0Std. 2\xa0Std. 5\xa0Std. 0,5\xa0Std. 1.150,00\xa0$" in text
    # each row's why in German and whole, however long, and each day as German writes it
    assert "0,5\xa0Std. über der freigegebenen Schätzung: nicht berechnet" in text
    assert "Do., 1. Okt.  0,75\xa0Std." in text
    assert "Nettobetrag: 2.351,50\xa0$" in text and "USt. 20 %: 470,30\xa0$" in text
    assert "Gesamtbetrag: 2.821,80\xa0$" in text
    assert "Bitte zahlen Sie bis Dienstag, 1. Dezember 2026 (30 Tage) unter Angabe von" in text
    assert "SLA in diesem Monat: Erstreaktionen rechtzeitig 4 von 4" in text
    assert "(in Arbeit), freigegeben: 600,00\xa0$" in text
    assert "Rechnung EA-2026-00017" in text and "Seite 1 von 1" in text
    # And no English word of the PDF's own is left
    assert [label for label in ENGLISH if label in text] == []


def test_a_reverse_charge_invoice_says_so_in_german():
    invoice = {**context("Zed GmbH", [])["invoice"], "tax_rate": None, "tax": Decimal("0.00")}
    invoice["reverse_charge"] = "(the English note: in_language words it)"
    text = translated("de", invoice=invoice)
    assert "USt.: 0,00\xa0$" in text
    assert "Steuerschuldnerschaft des Leistungsempfängers" in text and "VAT" not in text


@pytest.mark.parametrize(
    ("language", "invoice", "net", "words"),
    [
        ("fr", "Facture", "Montant HT", ("Travaux du mois", "Non facturées", "Page 1 sur 1")),
        ("es", "Factura", "Base imponible", ("Trabajos de este mes", "No facturadas", "Página 1")),
        ("nl", "Factuur", "Netto", ("Werk deze maand", "Niet berekend", "Pagina 1 van 1")),
    ],
)
def test_a_pdf_in_french_spanish_or_dutch_is_in_its_language(language, invoice, net, words):
    text = translated(language)
    # The invoice, its due date and money written as that language writes them (as its email)
    assert f"{invoice} EA-2026-00017" in text
    assert day(date(2026, 12, 1), language) in text
    assert money(Decimal("1150.00"), "USD", language) in text
    assert net in text and all(word in text for word in words)
    left = ("statement for", "Invoice", "Work this month", "Not charged", "Total due", "Page 1 of")
    assert [label for label in left if label in text] == []


def test_a_german_page_keeps_its_headings_apart_and_to_its_margins(tmp_path: Path):
    # Given a German statement, whose headings and hours are longer than English ones
    sent = in_language(context("Zed GmbH", [row(n, SUBJECTS[n]) for n in range(3)]), "de")
    (tmp_path / "de.pdf").write_bytes(statement_pdf(sent))
    subprocess.run(["pdftoppm", "-png", "-r", "80", "de.pdf", "de"], cwd=tmp_path, check=True)
    page = Image.open(tmp_path / "de-1.png").convert("L")
    mm = 80 / 25.4
    # Then the ink keeps to the margins
    left, _, right, _ = page.point(lambda v: 255 if v < 128 else 0).getbbox()
    assert left >= (MARGIN - 0.5) * mm and right <= (210 - MARGIN + 0.5) * mm
    # And in the table's heading band the seven headings stand apart, 2 mm or more between
    # any two: none is cut or runs into the next
    edge = int((MARGIN + 0.5) * mm)  # inside the band, left of its first heading
    shaded = [y for y in range(page.height) if page.getpixel((edge, y)) == 236]
    band = page.crop((0, shaded[0], page.width, shaded[0] + int(6 * mm)))
    inked = [
        x for x in range(band.width) if band.crop((x, 0, x + 1, band.height)).getextrema()[0] < 128
    ]
    gaps = [b - a for a, b in pairwise(inked) if b - a > 1]
    assert len([gap for gap in gaps if gap >= 2 * mm]) == 6, "seven headings, six gaps"

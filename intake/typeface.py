"""The typeface of intake's PDFs (statements, statements of work): DejaVu Sans, regular and
bold, shipped cut down to the scripts clients write in (Latin, Greek, Cyrillic) and embedded
in each PDF with only the glyphs that PDF shows. Imports fpdf: import this module only where
a PDF is made."""

from __future__ import annotations

import copy
import io
import struct
import unicodedata
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, pairwise
from pathlib import Path
from typing import Any, TypeVar

from fontTools.ttLib import TTFont
from fontTools.ttLib.sfnt import SFNTWriter
from fpdf import FPDF
from fpdf.fonts import SubsetMap, TTFFont
from fpdf.output import CIDSystemInfo, OutputProducer, PDFContentStream, PDFFont, PDFFontStream
from fpdf.syntax import Name, PDFArray, PDFObject

FAMILY = "DejaVu"
FILES = {"": "DejaVuSans.ttf", "B": "DejaVuSans-Bold.ttf"}
FOLDER = Path(__file__).parent / "dejavu"
# What a statement shows for a character the typeface lacks (Chinese, emoji): the email
# itself carries the full text.
MISSING = "?"
Written = TypeVar("Written", bound=PDFObject)


def use_typeface(pdf: FPDF) -> None:
    """Gives ``pdf`` the typeface in both styles as family ``FAMILY``. Each style is parsed
    once a process; a document gets a copy whose record of the glyphs it used is its own."""
    for style in FILES:
        font = copy.copy(_parsed(style))
        font.i = len(pdf.fonts) + 1
        font.subset = SubsetMap(font)
        font.missing_glyphs = []
        font.biggest_size_pt = 0
        pdf.fonts[font.fontkey] = font


def printable(text: str) -> str:
    """``text`` as the typeface can set it on one line: composed (an "é" sent as "e" and an
    accent is one glyph), line breaks and tabs as spaces, unknown characters as ``MISSING``."""
    text = unicodedata.normalize("NFC", text)
    known = _known()
    if known.issuperset(text):
        return text
    return "".join(char if char in known else " " if char.isspace() else MISSING for char in text)


def width(pdf: FPDF, text: str) -> float:
    """How wide ``text`` (made ``printable``) is set in ``pdf``'s current font, in mm: what
    fpdf's get_string_width says without its text parsing, a tenth of the time."""
    font = pdf.current_font
    assert isinstance(font, TTFFont)
    return sum(map(font.cw.__getitem__, map(ord, text))) * pdf.font_size_pt / 1000 / pdf.k


class Producer(OutputProducer):
    """fpdf's output, except that the typeface is embedded by ``Outlines.subset``. fpdf
    would parse each style afresh for each document and run fontTools' subsetter on it:
    about 5 ms a style, more than the rest of a statement costs. This takes under 1 ms."""

    def _add_fonts(self, *args: Any, **kwargs: Any) -> dict[int, Any]:
        fonts = self.fpdf.fonts
        ours = {key: fonts.pop(key) for key in list(fonts) if key in _keys()}
        try:
            embedded = super()._add_fonts(*args, **kwargs)
        finally:
            fonts.update(ours)
        for font in ours.values():
            assert isinstance(font, TTFFont)
            embedded[font.i] = self._embed(font)
        return embedded

    def _embed(self, font: TTFFont) -> PDFFont:
        """The objects fpdf writes for a TrueType font: a Type0 font over a CIDFontType2,
        Identity-H, and a ToUnicode map so that text can be searched and copied."""
        used = sorted((code, glyph) for glyph, code in font.subset.items() if glyph is not None)
        name = f"{_tag(used)}+{font.name}"
        widths = " ".join(f"{code} [{glyph.glyph_width}]" for code, glyph in used)
        cid_font = self._add(
            PDFFont("CIDFontType2", name, d_w=font.desc.missing_width, w=f"[{widths}]")
        )
        cid_font.c_i_d_system_info = self._add(CIDSystemInfo())
        cid_font.c_i_d_to_g_i_d_map = self._add(PDFContentStream(_gids(used), compress=True))
        cid_font.font_descriptor = descriptor = self._add(copy.copy(font.desc))
        descriptor.font_name = Name(name)  # on a copy: the parsed font's serves every document
        program = _outlines(font.fontkey).subset(glyph.glyph_id for _, glyph in used)
        descriptor.font_file2 = self._add(PDFFontStream(program))  # type: ignore[attr-defined]
        composite = self._add(PDFFont("Type0", name, encoding="Identity-H"))
        composite.descendant_fonts = PDFArray([cid_font])
        composite.to_unicode = self._add(PDFContentStream(_to_unicode(used), compress=True))
        # fpdf's glyph lookups are cached across documents until it is told to forget them.
        font.subset.pick.cache_clear()
        font.subset.get_glyph.cache_clear()
        return composite

    def _add(self, obj: Written) -> Written:
        self._add_pdf_obj(obj, "fonts")
        return obj


@dataclass(frozen=True)
class Outlines:
    """A font file taken apart once: each glyph's outline and metrics as stored, the glyphs
    a composite one (an accented letter) is drawn from, and the other tables as bytes."""

    tables: dict[str, bytes]
    glyphs: list[bytes]
    metrics: list[bytes]
    blanks: list[bytes]  # the metrics of a glyph left out: zeros, nothing once compressed
    parts: dict[int, frozenset[int]]

    @classmethod
    def read(cls, path: Path) -> Outlines:
        font = TTFont(path)
        stored, offsets = font.getTableData("glyf"), list(font["loca"])
        glyphs = [_padded(stored[a:b]) for a, b in pairwise(offsets)]
        glyf = font["glyf"]
        parts = {
            gid: frozenset(font.getGlyphID(part) for part in _components(glyf, name))
            for gid, name in enumerate(font.getGlyphOrder())
            if glyf[name].isComposite()
        }
        head = bytearray(font.getTableData("head"))
        head[8:12] = bytes(4)  # checkSumAdjustment, which the writer sets
        head[50:52] = struct.pack(">h", 1)  # indexToLocFormat: the subset's loca is long
        post = bytearray(font.getTableData("post")[:32])
        post[0:4] = struct.pack(">I", 0x00030000)  # version 3: no glyph names to carry
        tables = {tag: font.getTableData(tag) for tag in ("OS/2", "cmap", "hhea", "maxp", "name")}
        tables |= {"head": bytes(head), "post": bytes(post)}
        metrics = _metrics(font)
        return cls(tables, glyphs, metrics, [bytes(len(m)) for m in metrics], parts)

    def subset(self, used: Iterable[int]) -> bytes:
        """A font file with the glyphs ``used`` (and .notdef and their parts) and no other
        outlines or widths. Glyph numbers are kept, so no outline needs renumbering."""
        keep = {0}
        for gid in used:
            keep.add(gid)
            keep.update(self.parts.get(gid, ()))
        kept = sorted(keep)
        sizes, metrics = [0] * len(self.glyphs), list(self.blanks)
        for gid in kept:
            sizes[gid], metrics[gid] = len(self.glyphs[gid]), self.metrics[gid]
        offsets = [0, *accumulate(sizes)]
        tables = self.tables | {
            "glyf": b"".join(self.glyphs[gid] for gid in kept),
            "hmtx": b"".join(metrics),
            "loca": struct.pack(f">{len(offsets)}I", *offsets),
        }
        out = io.BytesIO()
        writer = SFNTWriter(out, len(tables))
        for tag in sorted(tables):
            writer[tag] = tables[tag]
        writer.close()
        return out.getvalue()


def _metrics(font: TTFont) -> list[bytes]:
    """Each glyph's record in hmtx: advance and side bearing, or past the last advance
    stored, the side bearing alone."""
    stored, advances = font.getTableData("hmtx"), font["hhea"].numberOfHMetrics
    metrics = [stored[4 * gid : 4 * gid + 4] for gid in range(advances)]
    rest = range(4 * advances, 4 * advances + 2 * (len(font.getGlyphOrder()) - advances), 2)
    return metrics + [stored[at : at + 2] for at in rest]


def _components(glyf: Any, name: str) -> set[str]:
    found: set[str] = set()
    for part in glyf[name].getComponentNames(glyf):
        found.add(part)
        if glyf[part].isComposite():
            found |= _components(glyf, part)
    return found


def _padded(outline: bytes) -> bytes:
    return outline + bytes(-len(outline) % 4)


def _gids(used: list[tuple[int, Any]]) -> bytes:
    """The CIDToGIDMap: each code's glyph number, two bytes a code."""
    gids = bytearray(2 * (used[-1][0] + 1 if used else 1))
    for code, glyph in used:
        struct.pack_into(">H", gids, 2 * code, glyph.glyph_id)
    return bytes(gids)


def _to_unicode(used: list[tuple[int, Any]]) -> bytes:
    """The ToUnicode map: the text each code stands for, so that a reader can search and
    copy it; in blocks of at most 100 (Adobe's note 5014)."""
    entries = [
        f"<{code:04X}> <{''.join(chr(c).encode('utf-16-be').hex().upper() for c in glyph.unicode)}>"
        for code, glyph in used
        if isinstance(glyph.unicode, tuple) and glyph.unicode
    ]
    chunks = [entries[n : n + 100] for n in range(0, len(entries), 100)]
    blocks = "".join(f"{len(c)} beginbfchar\n" + "\n".join(c) + "\nendbfchar\n" for c in chunks)
    return (
        "/CIDInit /ProcSet findresource begin\n12 dict begin\nbegincmap\n"
        "/CIDSystemInfo\n<</Registry (Adobe)\n/Ordering (UCS)\n/Supplement 0\n>> def\n"
        "/CMapName /Adobe-Identity-UCS def\n/CMapType 2 def\n"
        f"1 begincodespacerange\n<0000> <FFFF>\nendcodespacerange\n{blocks}"
        "endcmap\nCMapName currentdict /CMap defineresource pop\nend\nend"
    ).encode("ascii")


def _tag(used: list[tuple[int, Any]]) -> str:
    """The six capitals a subset's name starts with (PDF 9.6.4): two subsets of one font in
    two documents merged into one must not share a name."""
    digest = zlib.crc32(repr([(code, glyph.glyph_id) for code, glyph in used]).encode())
    return "".join(chr(ord("A") + (digest >> (5 * n)) % 26) for n in range(6))


@cache
def _parsed(style: str) -> TTFFont:
    pdf = FPDF()
    pdf.add_font(FAMILY, style, FOLDER / FILES[style])
    font = pdf.fonts[f"{FAMILY.lower()}{style}"]
    assert isinstance(font, TTFFont)
    return font


@cache
def _outlines(fontkey: str) -> Outlines:
    style = fontkey.removeprefix(FAMILY.lower())
    return Outlines.read(FOLDER / FILES[style])


@cache
def _keys() -> frozenset[str]:
    return frozenset(f"{FAMILY.lower()}{style}" for style in FILES)


@cache
def _known() -> frozenset[str]:
    """Every character both styles have."""
    return frozenset(set.intersection(*({chr(c) for c in _parsed(s).cmap} for s in FILES)))

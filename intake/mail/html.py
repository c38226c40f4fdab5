"""HTML-only mail turned into readable text: paragraphs, line breaks, quotes as "> " and link
targets after their labels. Pure."""

from __future__ import annotations

import re
from html.parser import HTMLParser

_BLOCK_TAGS = frozenset(
    {
        "address",
        "article",
        "aside",
        "dd",
        "div",
        "dl",
        "dt",
        "fieldset",
        "figcaption",
        "figure",
        "footer",
        "form",
        "header",
        "li",
        "main",
        "nav",
        "section",
        "tr",
    }
)
_PARAGRAPH_TAGS = frozenset(
    {"p", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "hr", "table", "ul", "ol"}
)
_HIDDEN_TAGS = frozenset({"script", "style", "title", "template", "head"})
_VOID_TAGS = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)
# Styles that leave text in the markup but out of sight: a reader never saw it, so it is not
# part of what they wrote (nor a command hidden in a message they forwarded).
_ZERO = r"\s*:\s*0(?:\.0*)?(?:px|pt|em|rem|%)?\s*(?:!important)?\s*(?:;|$)"
_HIDING = re.compile(
    r"display\s*:\s*none|visibility\s*:\s*hidden|mso-hide\s*:\s*all"
    rf"|(?<![-\w])font-size{_ZERO}|(?<![-\w])opacity{_ZERO}|(?<![-\w])max-height{_ZERO}",
    re.IGNORECASE,
)
_COLOUR = re.compile(r"(?<![-\w])color\s*:\s*([^;!]+)", re.IGNORECASE)
_BACKGROUND = re.compile(r"background(?:-color)?\s*:\s*([^;!]+)", re.IGNORECASE)
_WHITE = frozenset({"#fff", "#ffffff", "white", "rgb(255,255,255)"})


def _out_of_sight(attrs: list[tuple[str, str | None]]) -> bool:
    """Whether an element's own attributes hide it: ``hidden``, or a style that does, or
    text in the colour of its background (white on the page's white, by default)."""
    found = dict(attrs)
    if "hidden" in found:
        return True
    style = found.get("style") or ""
    if _HIDING.search(style):
        return True
    colour = _COLOUR.search(style)
    if colour is None:
        return False
    ink = "".join(colour.group(1).split()).lower()
    paper = _BACKGROUND.search(style)
    return ink == ("".join(paper.group(1).split()).lower() if paper else ink) and (
        paper is not None or ink in _WHITE
    )


class _HtmlText(HTMLParser):
    """Collect lines of text, keeping paragraphs, line breaks, quote depth and link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote = self.hidden = self.pre = 0
        self.links: list[tuple[str, int]] = []
        self.open: list[tuple[str, bool]] = []  # the elements open now, and whether each hides

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _VOID_TAGS:
            hides = tag in _HIDDEN_TAGS or _out_of_sight(attrs)
            self.open.append((tag, hides))
            self.hidden += hides
        if tag in _HIDDEN_TAGS:
            return
        if tag == "br":
            self.current.append("\n")
        elif tag in ("td", "th"):
            self.current.append(" ")
        elif tag == "a":
            self.links.append((dict(attrs).get("href") or "", len(self.current)))
        elif tag == "blockquote" or tag in _PARAGRAPH_TAGS or tag in _BLOCK_TAGS:
            self.flush(paragraph=tag not in _BLOCK_TAGS)
            self.quote += tag == "blockquote"
            self.pre += tag == "pre"
            self.current.append("- " if tag == "li" else "")

    def handle_endtag(self, tag: str) -> None:
        if any(name == tag for name, _ in self.open):  # closes it and whatever it left open
            while self.open:
                name, hid = self.open.pop()
                self.hidden -= hid
                if name == tag:
                    break
        if tag in _HIDDEN_TAGS:
            return
        if tag == "a" and self.links:
            href, start = self.links.pop()
            label = "".join(self.current[start:]).strip()
            if label and label != href and href.startswith(("http:", "https:", "ftp:")):
                self.current.append(f" ({href})")
        elif tag == "blockquote" or tag in _PARAGRAPH_TAGS or tag in _BLOCK_TAGS:
            self.flush(paragraph=tag not in _BLOCK_TAGS)
            self.quote = max(0, self.quote - (tag == "blockquote"))
            self.pre = max(0, self.pre - (tag == "pre"))

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.current.append(data if self.pre else re.sub(r"\s+", " ", data))

    def flush(self, paragraph: bool = False) -> None:
        text, self.current = "".join(self.current), []
        prefix = "> " * self.quote
        pieces = text.split("\n")
        if len(pieces) > 1 and not pieces[-1].strip():  # a trailing <br> ends a line, adds none
            pieces.pop()
        if text.strip() or "\n" in text:
            self.lines.extend(
                (prefix + (p.rstrip() if self.pre else " ".join(p.split()))).rstrip()
                for p in pieces
            )
        if paragraph:
            self.lines.append(prefix.rstrip())


def html_to_text(markup: str) -> str:
    """HTML mail as readable text: paragraphs, line breaks, quote depth, link targets."""
    reader = _HtmlText()
    try:
        reader.feed(markup)
        reader.close()
    except (AssertionError, ValueError):  # html.parser's last-resort errors on broken markup
        return " ".join(re.sub(r"<[^>]*>", " ", markup).split())
    reader.flush()
    lines: list[str] = []
    for line in reader.lines:  # at most one blank line in a row, none at the ends
        if line.strip(" >") or (lines and lines[-1].strip(" >")):
            lines.append(line)
    while lines and not lines[-1].strip(" >"):
        lines.pop()
    return "\n".join(lines).strip()

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
_HIDDEN_TAGS = frozenset({"script", "style", "title", "template"})


class _HtmlText(HTMLParser):
    """Collect lines of text, keeping paragraphs, line breaks, quote depth and link targets."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self.current: list[str] = []
        self.quote = self.hidden = self.pre = 0
        self.links: list[tuple[str, int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN_TAGS:
            self.hidden += 1
        elif tag == "br":
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
        if tag in _HIDDEN_TAGS:
            self.hidden = max(0, self.hidden - 1)
        elif tag == "a" and self.links:
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

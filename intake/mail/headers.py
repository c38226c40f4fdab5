"""The header fields intake reads: Message-IDs, addresses, the return path and the date,
each tolerant of what real mail puts there."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.utils import parseaddr, parsedate_to_datetime

from mailparser.dates import parse_mail_date
from mailparser.utils import get_addresses

from intake.mail.charsets import from_8bit, header_text, unfolded

_MESSAGE_ID = re.compile(r"<([^<>]*)>")

_ID_JUNK = re.compile(r"[\s\x00-\x1f\x7f<>]+")

# The longest address anyone can receive mail at (RFC 5321: a 64-character local part, "@",
# a 255-character domain), and the size of every column that keeps one. A longer one in a
# header is no address: it would only fail to be stored.
MAX_ADDRESS = 320


def first_value(fields: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in fields if key == name), None)


def normalise_id(value: str) -> str | None:
    found = _MESSAGE_ID.search(value)
    return _ID_JUNK.sub("", found.group(1) if found else value) or None


# Message-IDs kept from one In-Reply-To or References header.
MAX_REFERENCES = 100


def message_ids(fields: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    found: list[str] = []
    for key, value in fields:
        if key == name:
            text = from_8bit(value)
            tokens = _MESSAGE_ID.findall(text) or [t for t in text.split() if "@" in t]
            found.extend(ident for ident in (_ID_JUNK.sub("", token) for token in tokens) if ident)
    unique = tuple(dict.fromkeys(found))
    if len(unique) > MAX_REFERENCES:
        # As RFC 5322 suggests for long threads: the first (the thread's start) and the
        # latest; a header of thousands is junk or an attack, never needed to thread.
        unique = (unique[0], *unique[-(MAX_REFERENCES - 1) :])
    return unique


# Comments in an address header nest, and the standard library's address parser recurses
# once per level: a header of hundreds of "(" exhausts the stack. Real mail nests one or two.
MAX_COMMENT_DEPTH = 16
# The local part of a mail server's own address (mailer-daemon@, postmaster@, post_master@):
# mail from it, or returned to it, is a bounce.
DAEMON = re.compile(r"mailer[-_]?daemon|post[-_]?master", re.IGNORECASE)
# The null address (RFC 5321 4.5.5) at the end of an address header: "<>", "MAILER-DAEMON <>".
NULL_ADDRESS = re.compile(r"<\s*>\s*$")


def comment_depth(text: str) -> int:
    """How deeply the comments of an address header nest (quoted text and ``\\(`` aside)."""
    depth = deepest = 0
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == '"' and depth == 0:
            quoted = not quoted
        elif quoted:
            continue
        elif char == "(":
            depth += 1
            deepest = max(deepest, depth)
        elif char == ")" and depth:
            depth -= 1
    return deepest


def addresses(fields: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    """The (display name, address) pairs of every ``name`` field; a field whose comments
    nest deeper than any mail program writes gives none."""
    found: list[tuple[str, str]] = []
    for key, value in fields:
        if key == name:
            text = unfolded(value)
            if comment_depth(text) > MAX_COMMENT_DEPTH:
                continue
            parsed = [
                (" ".join(n.split()), a.lower())
                for n, a in get_addresses(text, decode_names=True)
                if a and len(a) <= MAX_ADDRESS
            ]
            if not parsed:  # a bare local part such as "MAILER-DAEMON" is still a sender
                display, address = parseaddr(text)
                usable = len(address) <= MAX_ADDRESS and not re.search(r"[\s<>]", address)
                if address and usable:
                    parsed = [(header_text(display), address.lower())]
            found.extend(parsed)
    return list(dict.fromkeys(found))


def null_address_name(fields: list[tuple[str, str]], name: str) -> str | None:
    """The display name of the first ``name`` field that gives the null address ("<>",
    "MAILER-DAEMON <>"), "" when it has none; None when no such field gives it."""
    for key, value in fields:
        if key == name:
            text = unfolded(value)
            if NULL_ADDRESS.search(text):
                return " ".join(header_text(NULL_ADDRESS.sub("", text)).strip(' "').split())
    return None


def return_path_address(value: str | None) -> str | None:
    if value is None:
        return None
    text = header_text(value)
    found = _MESSAGE_ID.search(text)
    return (found.group(1) if found else text).strip().lower()


def sent_date(value: str | None) -> datetime | None:
    if value is None:
        return None
    text = header_text(value)
    try:
        when = parse_mail_date(text).value or parsedate_to_datetime(text)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None

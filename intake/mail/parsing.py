"""Read a stored raw message into an InboundMail of plain frozen values: bytes in, no I/O.

Addresses and dates are read by mail-parser (``headers``); bodies, charsets and attachments are
read here from the stdlib MIME tree mail-parser wraps, as mail-parser decodes Latin-1 as UTF-8
and copies files. The pieces: ``charsets`` (text out of bytes), ``headers``, ``mime`` (the tree,
read defensively), ``attachments`` and ``bounces`` (delivery reports).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email import message_from_bytes
from email.message import Message

from intake.errors import UnparseableMail
from intake.mail.aside import set_aside
from intake.mail.attachments import Attachment, raw_filename, read_attachment
from intake.mail.bounces import REPORT_PARTS, DeliveryReport, read_bounce
from intake.mail.charsets import decode_text, from_8bit, header_text
from intake.mail.flowed import unflowed
from intake.mail.headers import (
    addresses,
    first_value,
    message_ids,
    normalise_id,
    null_address_name,
    return_path_address,
    sent_date,
)
from intake.mail.html import html_to_text
from intake.mail.mime import (
    body_bytes,
    declared_charset,
    defect_notes,
    flowed_format,
    leaves,
    read_tree,
)
from intake.mail.newtext import new_part_of

__all__ = ["Attachment", "DeliveryReport", "InboundMail", "content_digest", "message_key", "parse"]

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class InboundMail:
    """One received message as intake files it. Ids carry no <>, addresses are lowercased."""

    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]  # in header order
    from_address: str  # "" when missing or null
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    return_path: str | None  # None without the header, "" for the null sender <>
    subject: str  # encoded words decoded, whitespace folded
    date: datetime | None  # UTC
    text: str  # text/plain, else the HTML as readable text
    html: str | None = field(repr=False)
    new_text: str  # the new part of a reply: quotes, attributions, signatures removed
    attachments: tuple[Attachment, ...]
    headers: tuple[tuple[str, str], ...] = field(repr=False)  # (lowercased name, decoded value)
    content_type: str
    delivery_report: DeliveryReport | None
    defects: tuple[str, ...]  # what was malformed but survived, for people to read

    def header(self, name: str) -> str | None:
        """The first value of a header, by case-insensitive name; None when absent."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key == wanted), None)


# A field name, then the colon; RFC 5322 4.5 (obsolete syntax, which receivers must accept)
# allows white space before the colon: "Subject : hello".
_FIELD_LINE = re.compile(rb"([\x21-\x39\x3b-\x7e]+)([ \t]*):")

_HEAD_END = re.compile(rb"\r?\n\r?\n")

# Header fields a relay adds on the way in: a re-delivery differs only in these.
_TRACE_FIELDS = frozenset(
    {
        "received",
        "x-received",
        "return-path",
        "delivered-to",
        "x-original-to",
        "envelope-to",
        "dkim-signature",
        "x-google-dkim-signature",
        "domainkey-signature",
        "authentication-results",
        "received-spf",
    }
)

_TRACE_PREFIXES = ("arc-", "x-envelope-", "x-spam-", "x-virus-")


def parse(raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> InboundMail:
    """Read raw message bytes; raises UnparseableMail only when there is no message to read."""
    raw, aside = set_aside(raw)  # long base64 runs read where they lie, not by the stdlib
    lines, body, notes = _clean_head(raw)
    message = read_tree(b"\n".join(lines) + b"\n\n" + body)
    if message is None:
        message = message_from_bytes(b"\n".join(lines) + b"\n\n")
        notes.append("MIME nesting too deep to read; body skipped")
    fields = [(name.lower(), value) for name, value in message.raw_items()]
    plain: list[str] = []
    markup: list[str] = []
    attachments: list[Attachment] = []
    report_parts: list[Message] = []
    loose_parts: list[Message] = []  # report parts outside a report: kept as attachments
    seen: list[Message] = []
    for part, parent in leaves(message, seen, notes):
        ctype = part.get_content_type()
        if ctype in REPORT_PARTS:
            if parent == "multipart/report":
                report_parts.append(part)
                continue
            loose_parts.append(part)
        filename = raw_filename(part)
        if (
            filename is None
            and part.get_content_disposition() != "attachment"
            and (ctype in ("text/plain", "text/html") or ctype.startswith("multipart/"))
        ):
            kept_aside = aside.body(part)
            text, note = decode_text(
                body_bytes(part) if kept_aside is None else kept_aside, declared_charset(part)
            )
            flowed, delete_space = flowed_format(part)
            if flowed and ctype == "text/plain":
                text = unflowed(text, delete_space=delete_space)
            (markup if ctype == "text/html" else plain).append(text.replace("\x00", ""))
            notes.extend([note] if note else [])
        else:
            attachments.append(
                read_attachment(part, filename, len(attachments) + 1, max_attachment_bytes, aside)
            )
    text = "\n\n".join(body for body in plain if body.strip())
    html = "\n".join(markup) or None
    if not text.strip() and html:
        text = html_to_text(html)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    senders = addresses(fields, "from")
    return_path = return_path_address(first_value(fields, "return-path"))
    auto_submitted = header_text(first_value(fields, "auto-submitted") or "no")
    report = read_bounce(
        report_parts,
        text,
        auto_submitted,
        return_path,
        senders[0][1] if senders else "",
        loose_parts,
    )
    return InboundMail(
        message_id=normalise_id(from_8bit(first_value(fields, "message-id") or "")),
        in_reply_to=message_ids(fields, "in-reply-to"),
        references=message_ids(fields, "references"),
        from_address=senders[0][1] if senders else "",
        # A bounce "From: MAILER-DAEMON <>" keeps its name when it has no address
        from_name=senders[0][0] if senders else null_address_name(fields, "from") or "",
        to=tuple(address for _, address in addresses(fields, "to")),
        cc=tuple(address for _, address in addresses(fields, "cc")),
        reply_to=tuple(address for _, address in addresses(fields, "reply-to")),
        return_path=return_path,
        subject=header_text(first_value(fields, "subject") or ""),
        date=sent_date(first_value(fields, "date")),
        text=text,
        html=html,
        new_text=new_part_of(text),
        attachments=tuple(attachments),
        headers=tuple((name, header_text(value)) for name, value in fields),
        content_type=message.get_content_type(),
        delivery_report=report,
        defects=tuple(dict.fromkeys(notes + defect_notes(seen))),
    )


def message_key(raw: bytes, message_id: str | None) -> str:
    """The unique storage key: `mid:<id>`, else a digest of the whole message but its trace
    fields (Received, Return-Path, ...), so that a re-delivery keeps its key and two
    different messages never share one."""
    normalised = normalise_id(message_id or "")
    if normalised:
        return f"mid:{normalised}"
    return f"sha256:{_digest(raw, lambda name: not _is_trace(name))}"


def content_digest(raw: bytes) -> str:
    """SHA-256 of what makes a message the one it is: its From, Date and Subject and its
    body. A Message-ID seen again with another digest is another message reusing the id; a
    re-delivery (new Received or Delivered-To fields) has the same digest."""
    return _digest(raw, _CONTENT_FIELDS.__contains__)


_CONTENT_FIELDS = frozenset({"from", "date", "subject"})


def _digest(raw: bytes, counted: Callable[[str], bool]) -> str:
    """SHA-256 of the header fields ``counted`` takes (by lowercased name, white space
    unfolded), every line that is not a field (a body with no blank line before it), and
    the body, however the lines end."""
    head, body = _split(raw.replace(b"\r\n", b"\n"))
    lines = head.split(b"\n")
    if _mbox_separator(lines[0]):
        lines = lines[1:]  # where the copy was kept, not the message
    kept = [
        name + b":" + b" ".join(value.split()) if name else value
        for name, value in _head_fields(lines, loose=True)
        if not name or counted(name.decode("latin-1"))
    ]
    return hashlib.sha256(b"\n".join(kept) + b"\n\n" + body.rstrip(b"\n")).hexdigest()


def extract_message_id(raw: bytes) -> str | None:
    """Just the normalised Message-ID, read cheaply from the header block; never raises."""
    try:
        lines, _, _ = _clean_head(raw)
    except UnparseableMail:
        return None
    for name, value in _head_fields(lines):
        if name == b"message-id":
            return normalise_id(from_8bit(value.decode("ascii", "surrogateescape")))
    return None


def _split(data: bytes) -> tuple[bytes, bytes]:
    found = _HEAD_END.search(data)
    return (data[: found.start()], data[found.end() :]) if found else (data, b"")


def _head_fields(lines: list[bytes], *, loose: bool = False) -> Iterator[tuple[bytes, bytes]]:
    """(lowercased name, unfolded value) of each header field. Other lines are skipped, or
    with ``loose`` given as (b"", the line): a message with no blank line after its headers
    has its body among them."""
    name, value = b"", b""
    for line in lines:
        if name and line[:1] in (b" ", b"\t"):
            value += line
            continue
        if name:
            yield name, value
        found = _FIELD_LINE.match(line)
        name, value = (found.group(1).lower(), line[found.end() :]) if found else (b"", b"")
        if not found and loose and line:
            yield b"", line
    if name:
        yield name, value


def _mbox_separator(data: bytes) -> bool:
    """Whether ``data`` starts with an mbox "From sender date" line, not a "From :" field."""
    return data.startswith(b"From ") and not _FIELD_LINE.match(data)


def _is_trace(name: str) -> bool:
    return name in _TRACE_FIELDS or name.startswith(_TRACE_PREFIXES)


def _clean_head(raw: bytes) -> tuple[list[bytes], bytes, list[str]]:
    """The header lines as a person would read them, the body, and notes; refuses non-mail."""
    data = raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if _mbox_separator(data):
        data = data.partition(b"\n")[2]
    found = _HEAD_END.search(data)
    head, body = (data[: found.start()], data[found.end() :]) if found else (data, b"")
    lines = re.split(rb"\r?\n", head)
    last_field = max((i for i, line in enumerate(lines) if _FIELD_LINE.match(line)), default=-1)
    if last_field < 0:
        raise UnparseableMail("no header block: the bytes do not start with 'Name: value' lines")
    kept: list[bytes] = []
    notes: list[str] = []
    kept_previous = False  # a continuation line belongs to the line above it, kept or dropped
    for index, line in enumerate(lines):
        field = _FIELD_LINE.match(line)
        if field or (kept_previous and line[:1] in (b" ", b"\t")):
            if field and field.group(2):  # the stdlib reads "Subject : x" as the body's start
                line = field.group(1) + b":" + line[field.end() :]
                notes.append("white space before a header's colon removed")
            if b"\x00" in line or b"\r" in line:
                notes.append("NUL or bare CR in a header removed")
            kept.append(line.replace(b"\x00", b"").replace(b"\r", b" "))
            kept_previous = True
        elif index < last_field:
            notes.append("garbage line in the header block dropped")
            kept_previous = False
        elif line:  # the body starts here: the blank line after the headers is missing
            notes.append("no blank line between headers and body")
            body = b"\n".join(lines[index:]) + (b"\n\n" + body if found else b"")
            break
    return kept, body, notes

"""Turning a rendered email into the exact bytes intake sends: multipart text + HTML, our
Message-ID, the thread headers, and Auto-Submitted on what a machine wrote. Pure."""

from __future__ import annotations

import base64
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import encode_rfc2231, format_datetime, formataddr

from intake.outbox.templates import Rendered


@dataclass(frozen=True)
class Envelope:
    sender: str  # the support address
    sender_name: str  # the agency's name
    to: tuple[str, ...]
    reply_to: str | None = None
    in_reply_to: str | None = None  # a message id without <>
    references: tuple[str, ...] = ()
    automatic: bool = True  # Auto-Submitted: auto-replied
    ref: str | None = None  # REQ-1042, carried in a header as well as the subject


def new_message_id(domain: str, now: datetime) -> str:
    """A Message-ID of ours (without <>), unique and recognisable."""
    return f"{now:%Y%m%d%H%M%S}.{secrets.token_hex(6)}.intake@{domain}"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # with its parameters: "text/csv; charset=utf-8", "application/pdf"
    data: bytes


def compose(
    rendered: Rendered,
    envelope: Envelope,
    message_id: str,
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> bytes:
    """The message as sent, written line by line: the stdlib generator re-folds every
    header and costs about a millisecond a message, which matters at hundreds a second.
    Bodies are base64 (encoded in C, safe through any relay), headers folded at 78."""
    body = _multipart(
        "alternative",
        [_text(rendered.text, "plain"), _text(rendered.html, "html")],
    )
    if attachments:
        body = _multipart("mixed", [body, *(_attachment(a) for a in attachments)])
    content_type, entity = body
    headers = [
        ("Content-Type", content_type),
        ("MIME-Version", "1.0"),
        ("From", formataddr((envelope.sender_name, envelope.sender), charset="utf-8")),
        ("To", ", ".join(envelope.to)),
        ("Subject", rendered.subject),
        ("Date", format_datetime(now)),
        ("Message-ID", f"<{message_id}>"),
    ]
    if envelope.reply_to:
        headers.append(("Reply-To", envelope.reply_to))
    if envelope.in_reply_to and _fits(envelope.in_reply_to):
        headers.append(("In-Reply-To", f"<{envelope.in_reply_to}>"))
    references = _references(envelope.references, envelope.in_reply_to)
    if references:
        headers.append(("References", " ".join(f"<{r}>" for r in references)))
    if envelope.automatic:
        headers.append(("Auto-Submitted", "auto-replied"))
        # Ask other robots (Exchange out-of-office among them) not to answer us.
        headers.append(("X-Auto-Response-Suppress", "All"))
    headers.append(("X-Intake-Origin", envelope.ref or "intake"))
    return _head(headers) + entity  # a multipart entity begins with the blank line


CRLF = b"\r\n"
FOLD_AT = 78
MAX_LINE = 998  # octets a header line may have (RFC 5322 2.1.1); a server refuses more
MAX_ID = 900  # a Message-ID longer than this, with "In-Reply-To: <>", would not fit
# Headers whose text may be in any language: non-ASCII goes in RFC 2047 encoded words.
# Addresses (To) stay as they are: a non-ASCII one travels by SMTPUTF8 or not at all.
WORDS = {"Subject"}

Entity = tuple[str, bytes]  # its Content-Type value, and its other headers + body


def _head(headers: Sequence[tuple[str, str]]) -> bytes:
    return b"".join(_header_line(name, value) for name, value in headers)


def _header_line(name: str, value: str) -> bytes:
    value = " ".join(value.split())  # no line breaks smuggled in from a subject
    if name in WORDS and not value.isascii():
        folded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
        return f"{name}: {folded}".encode("ascii") + CRLF
    line = f"{name}: {value}"
    if len(line) > FOLD_AT:
        line = _fold(line)
    encoded = line.encode("utf-8")
    if name in WORDS and max(len(part) for part in encoded.split(CRLF)) > MAX_LINE:
        # A word too long to fold at a space (a subject of 1,200 letters): encoded words
        # can be broken anywhere, so every line fits.
        folded = Header(value, "utf-8", header_name=name).encode(linesep="\r\n")
        return f"{name}: {folded}".encode("ascii") + CRLF
    return encoded + CRLF


def _fold(line: str) -> str:
    """Break a long header at spaces so no line passes 78 characters where it can help."""
    out: list[str] = []
    current = ""
    for word in line.split(" "):
        if current and len(current) + 1 + len(word) > FOLD_AT:
            out.append(current)
            current = " " + word
        else:
            current = f"{current} {word}" if current else word
    out.append(current)
    return "\r\n".join(out)


def _text(text: str, subtype: str) -> Entity:
    return f'text/{subtype}; charset="utf-8"', _base64(text.encode("utf-8"))


def _attachment(attachment: Attachment) -> Entity:
    name = attachment.filename
    if name.isascii():
        quoted = name.replace("\\", "\\\\").replace('"', '\\"')
        disposition = f'attachment; filename="{quoted}"'
    else:
        disposition = f"attachment; filename*={encode_rfc2231(name, 'utf-8')}"
    return attachment.content_type, (
        _header_line("Content-Disposition", disposition) + _base64(attachment.data)
    )


def _base64(data: bytes) -> bytes:
    encoded = base64.encodebytes(data).replace(b"\n", CRLF)
    return b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded


def _multipart(subtype: str, parts: Sequence[Entity]) -> Entity:
    # Base64 lines never start with "--", so a random boundary cannot occur in a part.
    boundary = f"=_intake_{secrets.token_hex(12)}"
    delimiter = f"--{boundary}".encode("ascii")
    out = [b""]
    for content_type, entity in parts:
        out.append(delimiter + CRLF + _header_line("Content-Type", content_type) + entity)
    out.append(delimiter + b"--" + CRLF)
    return f'multipart/{subtype}; boundary="{boundary}"', CRLF.join(out)


def _references(references: Sequence[str], in_reply_to: str | None) -> list[str]:
    chain = [r for r in references if _fits(r)]
    if in_reply_to and _fits(in_reply_to) and in_reply_to not in chain:
        chain.append(in_reply_to)
    return chain[-20:]  # keep the header a sane length on long threads


def _fits(message_id: str | None) -> bool:
    """Whether a Message-ID copied from someone's mail fits on a header line: one no
    server would take back is left out of the thread (the subject's ref still threads)."""
    return bool(message_id) and len(message_id or "") <= MAX_ID

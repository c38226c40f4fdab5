"""Read a stored raw message into an InboundMail of plain frozen values: bytes in, no I/O.

Addresses and dates are read by mail-parser; bodies, charsets and attachments are read here from
the stdlib MIME tree mail-parser wraps, as mail-parser decodes Latin-1 as UTF-8 and copies files.
"""

from __future__ import annotations

import base64
import codecs
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from email.utils import parseaddr, parsedate_to_datetime

from mailparser.dates import parse_mail_date
from mailparser.utils import get_addresses

from intake.errors import UnparseableMail
from intake.mail.html import html_to_text
from intake.mail.newtext import new_part_of

DEFAULT_MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message; past the size limit only its name and size are kept."""

    filename: str
    content_type: str
    size: int
    payload: bytes | None = field(repr=False)


@dataclass(frozen=True)
class DeliveryReport:
    """What a bounce says about the message that could not be delivered.

    Read from a delivery status notification (multipart/report, RFC 3464), or from the plain-text
    bounce of an older MTA (qmail, some Exchange and cPanel servers) when it quotes the returned
    Message-ID: without one there is nothing to attach it to.
    """

    original_message_id: str | None
    recipients: tuple[str, ...]
    status: str
    action: str
    diagnostic: str


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

    def header_all(self, name: str) -> tuple[str, ...]:
        """Every value of a header, in message order."""
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key == wanted)


# The stdlib email package raises these on hostile parameters (a NUL in a charset name, broken
# RFC 2231 values); they are caught where it is called, never further out.
_EMAIL_QUIRKS = (LookupError, ValueError, TypeError, UnicodeError)
_FIELD_LINE = re.compile(rb"[\x21-\x39\x3b-\x7e]+:")
_HEAD_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID = re.compile(r"<([^<>]*)>")
_ID_JUNK = re.compile(r"[\s\x00-\x1f\x7f<>]+")
_UNFOLD = re.compile(r"\r?\n(?=[ \t])")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_SURROGATE = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")
_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Python's cp1252 leaves five bytes undefined; mail in the wild means the Latin-1 ones.
_CP1252_GAPS = {0xDC00 + byte: byte for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}
# Labels Python does not know, and labels whose real-world text is a superset (WHATWG Encoding):
# mail labelled ISO-8859-1 routinely carries windows-1252 quotes and the euro sign.
_CHARSET_LABELS = {
    "iso-8859-8-i": "iso8859-8",
    "windows-874": "cp874",
    "x-sjis": "shift_jis",
    "x-mac-roman": "mac-roman",
    "unicode-1-1-utf-7": "utf-7",
}
_SUPERSETS = {
    "iso8859-1": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "iso8859-9": "cp1254",
    "tis-620": "cp874",
}
_NOT_MAIL_CHARSETS = frozenset(
    {"unicode-escape", "raw-unicode-escape", "undefined", "idna", "punycode"}
)
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
_REPORT_PARTS = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "text/rfc822-headers",
        "message/rfc822-headers",
        "message/global-headers",
        "message/rfc822",
        "message/global",
    }
)
_STATUS_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})
_MAX_DEPTH = 40  # real mail nests a handful of levels; deeper is an attack on the parser
_DAEMON = re.compile(r"mailer[-_]?daemon|postmaster", re.IGNORECASE)
_QUOTED_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>]+>)", re.IGNORECASE | re.MULTILINE)
_STATUS_CODE = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")
_DEFECT_NOTES = {
    "CloseBoundaryNotFoundDefect": "missing closing boundary",
    "StartBoundaryNotFoundDefect": "multipart start boundary not found",
    "NoBoundaryInMultipartDefect": "multipart without a boundary parameter",
    "MultipartInvariantViolationDefect": "multipart without parts",
    "InvalidMultipartContentTransferEncodingDefect": "multipart with a transfer encoding",
    "InvalidBase64PaddingDefect": "truncated or malformed base64",
    "InvalidBase64CharactersDefect": "invalid characters in base64",
    "InvalidBase64LengthDefect": "truncated or malformed base64",
}


def parse(raw: bytes, *, max_attachment_bytes: int = DEFAULT_MAX_ATTACHMENT_BYTES) -> InboundMail:
    """Read raw message bytes; raises UnparseableMail only when there is no message to read."""
    lines, body, notes = _clean_head(raw)
    message = _read_tree(b"\n".join(lines) + b"\n\n" + body)
    if message is None:
        message = message_from_bytes(b"\n".join(lines) + b"\n\n")
        notes.append("MIME nesting too deep to read; body skipped")
    fields = [(name.lower(), value) for name, value in message.raw_items()]
    plain: list[str] = []
    markup: list[str] = []
    attachments: list[Attachment] = []
    report_parts: list[Message] = []
    seen: list[Message] = []
    for part, parent in _leaves(message, seen, notes):
        ctype = part.get_content_type()
        if parent == "multipart/report" and ctype in _REPORT_PARTS:
            report_parts.append(part)
            continue
        filename = _filename(part)
        if (
            filename is None
            and part.get_content_disposition() != "attachment"
            and (ctype in ("text/plain", "text/html") or ctype.startswith("multipart/"))
        ):
            text, note = _decode_text(_payload(part), _charset(part))
            (markup if ctype == "text/html" else plain).append(text.replace("\x00", ""))
            notes.extend([note] if note else [])
        else:
            attachments.append(
                _attachment(part, filename, len(attachments) + 1, max_attachment_bytes)
            )
    text = "\n\n".join(body for body in plain if body.strip())
    html = "\n".join(markup) or None
    if not text.strip() and html:
        text = html_to_text(html)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    senders = _addresses(fields, "from")
    return_path = _return_path(_first(fields, "return-path"))
    report = _delivery_report(report_parts, text)
    auto_reply = _header_text(_first(fields, "auto-submitted") or "no").partition(";")[0].strip()
    if (
        report is None
        and auto_reply.lower() == "no"
        and (return_path == "" or (senders and _DAEMON.fullmatch(senders[0][1].partition("@")[0])))
    ):
        report = _plain_bounce(text)  # an RFC 3834 auto-reply also comes from the null sender
    return InboundMail(
        message_id=_normalise_id(_from_8bit(_first(fields, "message-id") or "")),
        in_reply_to=_ids(fields, "in-reply-to"),
        references=_ids(fields, "references"),
        from_address=senders[0][1] if senders else "",
        from_name=senders[0][0] if senders else "",
        to=tuple(address for _, address in _addresses(fields, "to")),
        cc=tuple(address for _, address in _addresses(fields, "cc")),
        reply_to=tuple(address for _, address in _addresses(fields, "reply-to")),
        return_path=return_path,
        subject=_header_text(_first(fields, "subject") or ""),
        date=_date(_first(fields, "date")),
        text=text,
        html=html,
        new_text=new_part_of(text),
        attachments=tuple(attachments),
        headers=tuple((name, _header_text(value)) for name, value in fields),
        content_type=message.get_content_type(),
        delivery_report=report,
        defects=tuple(dict.fromkeys(notes + _defect_notes(seen))),
    )


def message_key(raw: bytes, message_id: str | None) -> str:
    """The unique storage key: `mid:<id>`, else a digest that survives a re-delivery."""
    normalised = _normalise_id(message_id or "")
    if normalised:
        return f"mid:{normalised}"
    head, body = _split(raw.replace(b"\r\n", b"\n"))
    kept = [
        name + b":" + b" ".join(value.split())
        for name, value in _head_fields(head.split(b"\n"))
        if not _is_trace(name.decode("latin-1"))
    ]
    digest = hashlib.sha256(b"\n".join(kept) + b"\n\n" + body.rstrip(b"\n"))
    return f"sha256:{digest.hexdigest()}"


def body_digest(raw: bytes) -> str:
    """SHA-256 of the body, so a re-delivery can be told from another message reusing an id."""
    return hashlib.sha256(_split(raw.replace(b"\r\n", b"\n"))[1].rstrip(b"\n")).hexdigest()


def extract_message_id(raw: bytes) -> str | None:
    """Just the normalised Message-ID, read cheaply from the header block; never raises."""
    try:
        lines, _, _ = _clean_head(raw)
    except UnparseableMail:
        return None
    for name, value in _head_fields(lines):
        if name == b"message-id":
            return _normalise_id(_from_8bit(value.decode("ascii", "surrogateescape")))
    return None


def _read_tree(data: bytes) -> Message | None:
    """The stdlib's MIME tree, or None when hostile nesting exhausts its recursion."""
    try:
        return message_from_bytes(data)
    except RecursionError:
        return None


def _split(data: bytes) -> tuple[bytes, bytes]:
    found = _HEAD_END.search(data)
    return (data[: found.start()], data[found.end() :]) if found else (data, b"")


def _head_fields(lines: list[bytes]) -> Iterator[tuple[bytes, bytes]]:
    """(lowercased name, unfolded value) of each header field; other lines are skipped."""
    name, value = b"", b""
    for line in lines:
        if line[:1] in (b" ", b"\t"):
            value += line
            continue
        if name:
            yield name, value
        found = _FIELD_LINE.match(line)
        name, value = (
            (line[: found.end() - 1].lower(), line[found.end() :]) if found else (b"", b"")
        )
    if name:
        yield name, value


def _is_trace(name: str) -> bool:
    return name in _TRACE_FIELDS or name.startswith(_TRACE_PREFIXES)


def _clean_head(raw: bytes) -> tuple[list[bytes], bytes, list[str]]:
    """The header lines as a person would read them, the body, and notes; refuses non-mail."""
    data = raw.removeprefix(b"\xef\xbb\xbf").lstrip(b"\r\n")
    if data.startswith(b"From "):  # an mbox separator, not a header
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
        if _FIELD_LINE.match(line) or (kept_previous and line[:1] in (b" ", b"\t")):
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


def _leaves(
    message: Message, seen: list[Message], notes: list[str]
) -> Iterator[tuple[Message, str]]:
    """Each leaf part with its parent's type, in order; iterative, so hostile nesting is cheap."""
    stack: list[tuple[Message, str, int]] = [(message, "", 0)]
    while stack:
        part, parent, depth = stack.pop()
        seen.append(part)
        ctype = part.get_content_type()
        children = _parts(part)
        if children is None and ctype.startswith("multipart/"):
            recovered = _with_guessed_boundary(ctype, _payload(part))
            if recovered is not None:
                notes.append("missing boundary parameter guessed from the body")
                stack.append((recovered, parent, depth + 1))
                continue
        if children is None or ctype.startswith("message/"):
            yield part, parent
        elif depth >= _MAX_DEPTH:
            notes.append(f"MIME nesting deeper than {_MAX_DEPTH} levels skipped")
        else:
            stack.extend((child, ctype, depth + 1) for child in reversed(children))


def _parts(part: Message) -> list[Message] | None:
    """The parts inside a multipart or message/* part, None for a leaf.

    get_payload() is only called on containers: on a leaf it applies the declared charset to
    8-bit text and raises on a hostile one.
    """
    if not part.is_multipart():
        return None
    return [child for child in part.get_payload() if isinstance(child, Message)]


def _with_guessed_boundary(ctype: str, body: bytes) -> Message | None:
    found = re.search(rb"^--([0-9A-Za-z'()+_,./:=?-]{1,70})[ \t]*\r?$", body, re.MULTILINE)
    if found is None:
        return None
    head = f'Content-Type: {ctype}; boundary="{found.group(1).decode()}"\n\n'.encode()
    recovered = _read_tree(head + body)
    return recovered if recovered is not None and recovered.is_multipart() else None


def _payload(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except _EMAIL_QUIRKS:
        return b""
    return payload if isinstance(payload, bytes) else b""


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except _EMAIL_QUIRKS:
        return None


def _filename(part: Message) -> str | None:
    """The raw (unsafe) file name, decoded; "" when the parameters cannot be read at all."""
    view = part
    if any(_SURROGATE.search(value) for _, value in part.raw_items()):
        # The stdlib turns 8-bit parameter bytes into U+FFFD; decode them as header text first.
        view = Message()
        for key, value in part.raw_items():
            if key.lower() in ("content-type", "content-disposition"):
                view[key] = _from_8bit(value)
    try:
        name = view.get_filename()
    except _EMAIL_QUIRKS:
        return ""
    return None if name is None else _header_text(name)


def _attachment(part: Message, filename: str | None, index: int, limit: int) -> Attachment:
    ctype = part.get_content_type()
    name = _safe_filename(filename or "", index)
    embedded = _parts(part)
    if embedded is not None:  # message/rfc822: keep the attached message as bytes
        data = b"".join(_as_bytes(inner) for inner in embedded)
    else:
        size = _base64_size(part)
        if size is not None and size > limit:  # too big to keep: size it without decoding it
            return Attachment(name, ctype, size, None)
        data = _payload(part)
    return Attachment(name, ctype, len(data), data if len(data) <= limit else None)


def _as_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except (*_EMAIL_QUIRKS, RecursionError):  # only hostile nesting or parameters get here
        return b""


def _base64_size(part: Message) -> int | None:
    if str(part.get("content-transfer-encoding", "")).strip().lower() != "base64":
        return None
    try:
        payload = part.get_payload()
    except _EMAIL_QUIRKS:
        return None
    if not isinstance(payload, str):
        return None
    tail = payload[-16:].rstrip()
    padding = len(tail) - len(tail.rstrip("="))
    letters = len(payload) - sum(payload.count(blank) for blank in " \t\r\n")
    return max(0, letters * 3 // 4 - padding)


def _safe_filename(name: str, index: int) -> str:
    base = _UNSAFE_FILENAME.sub("", re.split(r"[/\\]", name)[-1]).strip().lstrip(".").strip()
    if len(base) > 200:
        stem, dot, extension = base.rpartition(".")
        keep_extension = dot and 0 < len(extension) <= 16
        base = f"{stem[: 199 - len(extension)]}.{extension}" if keep_extension else base[:200]
    return base or f"attachment-{index}"


def _codec(charset: str | None) -> str | None:
    label = (charset or "").strip().strip("\"'").lower()
    if not label:
        return None
    try:
        info = codecs.lookup(_CHARSET_LABELS.get(label, label))
    except (LookupError, ValueError, UnicodeError):
        return None
    if not getattr(info, "_is_text_encoding", True) or info.name in _NOT_MAIL_CHARSETS:
        return None
    return _SUPERSETS.get(info.name, info.name)


def _try_decode(data: bytes, codec: str) -> str | None:
    if codec == "cp1252":
        return data.decode("cp1252", "surrogateescape").translate(_CP1252_GAPS)
    try:
        text = data.decode(codec)
        text.encode("utf-8")  # some codecs yield lone surrogates, which are not text
    except UnicodeError:
        return None
    return text


def _decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode text by its declared charset, else UTF-8, else windows-1252; never raises."""
    codec = _codec(charset)
    if codec is not None:
        text = _try_decode(data, codec)
        if text is not None:
            return text, None
        what = f"text declared {charset}"
    else:
        what = f"unknown charset {charset!r}" if charset else "undeclared charset"
    if data.isascii():
        return data.decode("ascii"), None
    text = _try_decode(data, "utf-8")
    if text is not None:
        return text, f"{what} decoded as utf-8"
    return data.decode("cp1252", "surrogateescape").translate(_CP1252_GAPS), (
        f"{what} decoded as windows-1252"
    )


def _from_8bit(value: str) -> str:
    """Header text the stdlib kept as surrogate escapes: UTF-8 (RFC 6532), else windows-1252."""
    if not _SURROGATE.search(value):
        return value
    return _decode_text(value.encode("utf-8", "surrogateescape"), None)[0]


def _decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words leniently; adjacent words share bytes, so join them first."""
    out: list[str] = []
    pending, charset, last = b"", None, 0
    for word in _ENCODED_WORD.finditer(text):
        gap = text[last : word.start()]
        joins = charset is not None and not gap.strip()  # space between words is not text
        if charset is not None and not (joins and word.group(1).lower() == charset):
            out.append(_decode_text(pending, charset)[0])
            pending, charset = b"", None
        if not joins:
            out.append(gap)
        charset, last = word.group(1).lower(), word.end()
        encoded = word.group(3).encode("utf-8", "surrogateescape")
        if word.group(2) in "qQ":
            pending += _QP_ESCAPE.sub(
                lambda m: bytes([int(m.group(1), 16)]), encoded.replace(b"_", b" ")
            )
        else:
            letters = _NOT_BASE64.sub(b"", encoded)
            letters = letters[:-1] if len(letters) % 4 == 1 else letters
            pending += base64.b64decode(letters + b"=" * (-len(letters) % 4))
    if charset is not None:
        out.append(_decode_text(pending, charset)[0])
    out.append(text[last:])
    return "".join(out)


def _header_text(value: str) -> str:
    text = _decode_words(_UNFOLD.sub("", _from_8bit(value)))
    return " ".join(_CONTROL.sub(" ", text).split())


def _first(fields: list[tuple[str, str]], name: str) -> str | None:
    return next((value for key, value in fields if key == name), None)


def _normalise_id(value: str) -> str | None:
    found = _MESSAGE_ID.search(value)
    return _ID_JUNK.sub("", found.group(1) if found else value) or None


# Message-IDs kept from one In-Reply-To or References header.
MAX_REFERENCES = 100


def _ids(fields: list[tuple[str, str]], name: str) -> tuple[str, ...]:
    found: list[str] = []
    for key, value in fields:
        if key == name:
            text = _from_8bit(value)
            tokens = _MESSAGE_ID.findall(text) or [t for t in text.split() if "@" in t]
            found.extend(ident for ident in (_ID_JUNK.sub("", token) for token in tokens) if ident)
    unique = tuple(dict.fromkeys(found))
    if len(unique) > MAX_REFERENCES:
        # As RFC 5322 suggests for long threads: the first (the thread's start) and the
        # latest; a header of thousands is junk or an attack, never needed to thread.
        unique = (unique[0], *unique[-(MAX_REFERENCES - 1) :])
    return unique


def _addresses(fields: list[tuple[str, str]], name: str) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for key, value in fields:
        if key == name:
            text = _CONTROL.sub(" ", _UNFOLD.sub("", _from_8bit(value)))
            parsed = [
                (" ".join(n.split()), a.lower())
                for n, a in get_addresses(text, decode_names=True)
                if a
            ]
            if not parsed:  # a bare local part such as "MAILER-DAEMON" is still a sender
                display, address = parseaddr(text)
                if address and not re.search(r"[\s<>]", address):
                    parsed = [(_header_text(display), address.lower())]
            found.extend(parsed)
    return list(dict.fromkeys(found))


def _return_path(value: str | None) -> str | None:
    if value is None:
        return None
    text = _header_text(value)
    found = _MESSAGE_ID.search(text)
    return (found.group(1) if found else text).strip().lower()


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    text = _header_text(value)
    try:
        when = parse_mail_date(text).value or parsedate_to_datetime(text)
        return (when if when.tzinfo else when.replace(tzinfo=UTC)).astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _delivery_report(parts: list[Message], text: str) -> DeliveryReport | None:
    blocks: list[dict[str, str]] = []
    original: str | None = None
    for part in parts:
        if part.get_content_type() in _STATUS_PARTS:
            blocks.extend(_status_blocks(part))
        elif original is None and part.get_content_type() != "message/disposition-notification":
            original = _returned_message_id(part)
    if not blocks:
        return None
    if original is None:  # some MTAs quote the returned headers in the human-readable part
        quoted = _QUOTED_ID.search(text)
        original = _normalise_id(quoted.group(1)) if quoted else None
    recipients = [b for b in blocks if "final-recipient" in b or "original-recipient" in b]
    failed = [b for b in recipients if b.get("action", "").lower() == "failed"] or recipients
    first = failed[0] if failed else {}
    addresses = [
        b[key].rpartition(";")[2].strip().strip("<>").lower()
        for b in failed
        for key in ("final-recipient", "original-recipient")
        if key in b
    ]
    status = _STATUS_CODE.search(first.get("status", ""))
    return DeliveryReport(
        original_message_id=original,
        recipients=tuple(dict.fromkeys(a for a in addresses if a)),
        status=status.group(0) if status else first.get("status", "").strip(),
        action=first.get("action", "").strip().lower(),
        diagnostic=first.get("diagnostic-code", "").partition(";")[2].strip()
        or first.get("diagnostic-code", "").strip(),
    )


def _plain_bounce(text: str) -> DeliveryReport | None:
    """A bounce without a report: qmail's "<address>:" paragraphs, then a copy of the message."""
    quoted = _QUOTED_ID.search(text)
    if quoted is None:
        return None
    notice = text[: quoted.start()]
    recipients = re.findall(r"^<([^<>\s]+@[^<>\s]+)>:\s*$", notice, re.MULTILINE)
    explained = re.search(r"^<[^<>\s]+@[^<>\s]+>:\s*\n(.+)$", notice, re.MULTILINE)
    status = _STATUS_CODE.search(notice)
    code = status.group(0) if status else ""
    return DeliveryReport(
        original_message_id=_normalise_id(quoted.group(1)),
        recipients=tuple(dict.fromkeys(address.lower() for address in recipients)),
        status=code,
        action={"5": "failed", "4": "delayed"}.get(code[:1], ""),
        diagnostic=" ".join(explained.group(1).split()) if explained else "",
    )


def _status_blocks(part: Message) -> list[dict[str, str]]:
    payload = _parts(part)
    if payload is not None:  # the stdlib reads each block of fields as a header-only message
        return [
            {key.lower(): _header_text(value) for key, value in reversed(list(block.raw_items()))}
            for block in payload
            if isinstance(block, Message)
        ]
    text = _decode_text(_payload(part), _charset(part))[0].replace("\r\n", "\n")
    return [
        {
            name.lower(): " ".join(value.split())
            for name, value in reversed(
                re.findall(r"^([\w-]+)[ \t]*:[ \t]*(.*(?:\n[ \t].*)*)", chunk, re.MULTILINE)
            )
        }
        for chunk in re.split(r"\n[ \t]*\n", text)
    ]


def _returned_message_id(part: Message) -> str | None:
    payload = _parts(part)
    if payload is not None:
        returned = payload[0] if payload else None
    else:
        returned = _read_tree(_payload(part))
    value = (
        _first([(k.lower(), v) for k, v in returned.raw_items()], "message-id")
        if (returned is not None)
        else None
    )
    return _normalise_id(_header_text(value)) if value else None


def _defect_notes(parts: list[Message]) -> list[str]:
    notes = []
    for part in parts:
        for defect in part.defects:
            name = type(defect).__name__
            notes.append(
                _DEFECT_NOTES.get(name)
                or re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Defect")).lower()
            )
    return notes

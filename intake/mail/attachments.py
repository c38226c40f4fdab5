"""Files that come with a message: a safe name, the bytes up to the size limit, and the
size of what is over it (counted without decoding it)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.message import Message

from intake.mail.aside import SetAside
from intake.mail.charsets import from_8bit, has_8bit, header_text
from intake.mail.mime import EMAIL_QUIRKS, body_bytes, parts

_UNSAFE_FILENAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


@dataclass(frozen=True)
class Attachment:
    """A file that came with a message; past the size limit only its name and size are kept."""

    filename: str
    content_type: str
    size: int
    payload: bytes | None = field(repr=False)


def raw_filename(part: Message) -> str | None:
    """The raw (unsafe) file name, decoded; "" when the parameters cannot be read at all."""
    view = part
    if any(has_8bit(value) for _, value in part.raw_items()):
        # The stdlib turns 8-bit parameter bytes into U+FFFD; decode them as header text first.
        view = Message()
        for key, value in part.raw_items():
            if key.lower() in ("content-type", "content-disposition"):
                view[key] = from_8bit(value)
    try:
        name = view.get_filename()
    except EMAIL_QUIRKS:
        return ""
    return None if name is None else header_text(name)


def read_attachment(
    part: Message, filename: str | None, index: int, limit: int, aside: SetAside | None = None
) -> Attachment:
    ctype = part.get_content_type()
    name = _safe_filename(filename or "", index)
    embedded = parts(part)
    if embedded is not None:  # message/rfc822: keep the attached message as bytes
        data = b"".join(_as_bytes(inner) for inner in embedded)
        if aside is not None:
            data = aside.restore(data)
    else:
        size = aside.size(part) if aside is not None else None
        size = _base64_size(part) if size is None else size
        if size is not None and size > limit:  # too big to keep: size it without decoding it
            return Attachment(name, ctype, size, None)
        kept_aside = aside.body(part) if aside is not None else None
        data = body_bytes(part) if kept_aside is None else kept_aside
    return Attachment(name, ctype, len(data), data if len(data) <= limit else None)


def _as_bytes(message: Message) -> bytes:
    try:
        return message.as_bytes()
    except (*EMAIL_QUIRKS, RecursionError):  # only hostile nesting or parameters get here
        return b""


def _base64_size(part: Message) -> int | None:
    if str(part.get("content-transfer-encoding", "")).strip().lower() != "base64":
        return None
    try:
        payload = part.get_payload()
    except EMAIL_QUIRKS:
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

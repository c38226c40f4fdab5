"""The stdlib's MIME tree of a message, read defensively: hostile nesting, missing
boundaries and broken parameters give notes, never exceptions."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from email import message_from_bytes
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32

# The stdlib email package raises these on hostile parameters (a NUL in a charset name, broken
# RFC 2231 values); they are caught where it is called, never further out.
EMAIL_QUIRKS = (LookupError, ValueError, TypeError, UnicodeError)

_MAX_DEPTH = 40  # real mail nests a handful of levels; deeper is an attack on the parser

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


def read_tree(data: bytes) -> Message | None:
    """The stdlib's MIME tree, or None when hostile nesting exhausts its recursion."""
    try:
        return message_from_bytes(data)
    except RecursionError:
        return None


def leaves(
    message: Message, seen: list[Message], notes: list[str]
) -> Iterator[tuple[Message, str]]:
    """Each leaf part with its parent's type, in order; iterative, so hostile nesting is cheap."""
    stack: list[tuple[Message, str, int]] = [(message, "", 0)]
    while stack:
        part, parent, depth = stack.pop()
        seen.append(part)
        ctype = part.get_content_type()
        children = parts(part)
        if children is None and ctype.startswith("multipart/"):
            recovered = _with_guessed_boundary(ctype, body_bytes(part))
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


def parts(part: Message) -> list[Message] | None:
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
    recovered = read_tree(head + body)
    return recovered if recovered is not None and recovered.is_multipart() else None


def body_bytes(part: Message) -> bytes:
    try:
        payload = part.get_payload(decode=True)
    except EMAIL_QUIRKS:
        return b""
    return payload if isinstance(payload, bytes) else b""


def text_of_message_part(part: Message) -> bytes:
    """The decoded body of a message/* part that is text, not a message, such as
    message/global-delivery-status (RFC 6533): the stdlib reads it as a message, so its first
    block of fields is put back in front of the rest, and its transfer encoding undone."""
    inner = parts(part)
    if not inner:
        return body_bytes(part)
    written = io.BytesIO()
    try:
        BytesGenerator(written, mangle_from_=False, maxheaderlen=0, policy=compat32).flatten(
            inner[0]
        )
    except (*EMAIL_QUIRKS, RecursionError):  # a status part holds fields, never deep nesting
        return b""
    leaf = Message()
    leaf["Content-Transfer-Encoding"] = str(part.get("content-transfer-encoding", "8bit"))
    leaf.set_payload(written.getvalue().decode("ascii", "surrogateescape"))
    return body_bytes(leaf)


def declared_charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except EMAIL_QUIRKS:
        return None


def flowed_format(part: Message) -> tuple[bool, bool]:
    """Whether a part is format=flowed (RFC 3676), and whether its DelSp is yes."""
    try:
        flowed, delete_space = part.get_param("format"), part.get_param("delsp")
    except EMAIL_QUIRKS:
        return False, False
    return _is(flowed, "flowed"), _is(delete_space, "yes")


def _is(value: object, wanted: str) -> bool:
    return isinstance(value, str) and value.strip().strip("\"'").lower() == wanted


def defect_notes(parts: list[Message]) -> list[str]:
    notes = []
    for part in parts:
        for defect in part.defects:
            name = type(defect).__name__
            notes.append(
                _DEFECT_NOTES.get(name)
                or re.sub(r"(?<!^)(?=[A-Z])", " ", name.removesuffix("Defect")).lower()
            )
    return notes

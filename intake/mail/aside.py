"""Long encoded bodies set aside before the stdlib parses a large message.

The stdlib's parser holds a body several times over (as text, as a list of lines, as the
part's payload, then decoded), about ten times a message's size in all. So in a large
message each long run of base64 lines (an attachment, mostly) is cut out before parsing and
replaced by a one-line marker; the part whose payload is that marker is then read from the
raw bytes where the run lies: sized without decoding, decoded only if it is kept. A part
over the attachment limit costs nothing more than the raw message itself.
"""

from __future__ import annotations

import binascii
import quopri
import re
from dataclasses import dataclass, field
from email.message import Message

SET_ASIDE_FROM = 1 << 20  # smaller messages are parsed whole
RUN_FROM = 512 * 1024  # shorter runs are left to the stdlib
# Whole lines of base64 letters, each ended by a line break, as many as follow each other.
# Possessive, anchored at line starts: one pass over the message, no backtracking state
# (a plain repeat keeps some for every line: 150 MB for a 43 MB attachment).
_BASE64_RUN = re.compile(rb"^(?:[A-Za-z0-9+/=]{16,100}+[ \t]*+\r?\n)++", re.MULTILINE)
_MARK = "intake-set-aside-"
_QUIRKS = (LookupError, ValueError, TypeError, UnicodeError)


@dataclass(frozen=True)
class SetAside:
    """The raw message and where each set-aside run lies in it, by its marker."""

    raw: bytes = field(repr=False)
    spans: dict[str, tuple[int, int]]

    def _found(self, part: Message) -> tuple[tuple[int, int], bytes] | None:
        """Where the part's set-aside body lies, and what follows the run in its payload
        (a last, short line of base64)."""
        if not self.spans:
            return None
        try:
            payload = part.get_payload()
        except _QUIRKS:
            return None
        if not isinstance(payload, str) or not payload.startswith(_MARK):
            return None
        marker, _, rest = payload.partition("\n")
        span = self.spans.get(marker.strip())
        return (span, rest.encode("ascii", "surrogateescape")) if span else None

    def _encoding(self, part: Message) -> str:
        return str(part.get("content-transfer-encoding", "")).strip().lower()

    def body(self, part: Message) -> bytes | None:
        """The part's body, decoded, if it was set aside; None for any other part."""
        found = self._found(part)
        if found is None:
            return None
        (start, end), rest = found
        view = memoryview(self.raw)[start:end]
        encoding = self._encoding(part)
        try:
            if encoding == "base64":
                if _letters(self.raw, start, end) % 4 == 0:  # whole groups: the tail alone
                    return binascii.a2b_base64(view) + binascii.a2b_base64(rest)
                return binascii.a2b_base64(bytes(view) + rest)
        except binascii.Error:
            return b""
        if encoding == "quoted-printable":
            return quopri.decodestring(bytes(view) + rest)
        return bytes(view) + rest

    def size(self, part: Message) -> int | None:
        """The decoded size of a set-aside base64 body, counted without decoding it."""
        found = self._found(part)
        if found is None or self._encoding(part) != "base64":
            return None
        (start, end), rest = found
        letters = _letters(self.raw, start, end) + _letters(rest)
        tail = (self.raw[max(start, end - 8) : end] + rest).rstrip()
        padding = len(tail) - len(tail.rstrip(b"="))
        return max(0, letters * 3 // 4 - padding)

    def restore(self, data: bytes) -> bytes:
        """``data`` (a part the stdlib wrote back as bytes, lines ended by LF) with each
        marker line in it replaced by the run it stands for."""
        for marker, (start, end) in self.spans.items():
            mark = marker.encode() + b"\n"
            if mark in data:
                data = data.replace(mark, self.raw[start:end].replace(b"\r\n", b"\n"))
        return data


def set_aside(raw: bytes) -> tuple[bytes, SetAside]:
    """``raw`` with its long base64 runs replaced by markers, and where the runs lie."""
    if len(raw) < SET_ASIDE_FROM:
        return raw, SetAside(raw, {})
    spans: dict[str, tuple[int, int]] = {}
    pieces: list[bytes] = []
    last = 0
    runs = (found for found in _BASE64_RUN.finditer(raw) if found.end() - found.start() >= RUN_FROM)
    for number, found in enumerate(runs):
        marker = f"{_MARK}{number}"
        spans[marker] = found.span()
        pieces += [raw[last : found.start()], marker.encode(), b"\r\n"]
        last = found.end()
    if not spans:
        return raw, SetAside(raw, {})
    pieces.append(raw[last:])
    return b"".join(pieces), SetAside(raw, spans)


def _letters(data: bytes, start: int = 0, end: int | None = None) -> int:
    """Base64 letters (and padding) in ``data[start:end]``, counted in place: its length
    less its blanks."""
    end = len(data) if end is None else end
    blanks = sum(data.count(blank, start, end) for blank in (b"\r", b"\n", b" ", b"\t"))
    return end - start - blanks

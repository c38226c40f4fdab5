"""Text out of mail's bytes: bodies by their declared charset (with the supersets real mail
means), header values with RFC 2047 encoded words and raw 8-bit bytes. Never raises."""

from __future__ import annotations

import base64
import codecs
import re

_SURROGATE = re.compile("[\udc80-\udcff]")

_ENCODED_WORD = re.compile(r"=\?([^?\s*]+)(?:\*[^?\s]*)?\?([bBqQ])\?([^?\s]*)\?=")

_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")

_NOT_BASE64 = re.compile(rb"[^A-Za-z0-9+/]")

_UNFOLD = re.compile(r"\r?\n(?=[ \t])")

_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

# Python's cp1252 leaves five bytes undefined; mail in the wild means the Latin-1 ones.
_CP1252_GAPS = {0xDC00 + byte: byte for byte in (0x81, 0x8D, 0x8F, 0x90, 0x9D)}

_BYTE_ORDER_MARK = "\ufeff"

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


def has_8bit(value: str) -> bool:
    """Whether header text holds raw 8-bit bytes the stdlib kept as surrogate escapes."""
    return _SURROGATE.search(value) is not None


def unfolded(value: str) -> str:
    """A header value on one line, 8-bit bytes decoded, control characters as spaces; encoded
    words left as they are (for parsers that read them themselves)."""
    return _CONTROL.sub(" ", _UNFOLD.sub("", from_8bit(value)))


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


def _windows_1252(data: bytes) -> str:
    return data.decode("cp1252", "surrogateescape").translate(_CP1252_GAPS)


def _stray_bytes_as_windows_1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: bytes that are not UTF-8 in otherwise UTF-8 text (a signature pasted
    from an older program, a name typed into a form) are read as windows-1252 one by one."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    return _windows_1252(error.object[error.start : error.end]), error.end


_STRAY_BYTES = "intake-stray-bytes-as-windows-1252"
codecs.register_error(_STRAY_BYTES, _stray_bytes_as_windows_1252)


def _try_decode(data: bytes, codec: str) -> str | None:
    if codec == "cp1252":
        return _windows_1252(data)
    try:
        text = data.decode(codec)
        text.encode("utf-8")  # some codecs yield lone surrogates, which are not text
    except UnicodeError:
        return None
    return text


def decode_text(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Decode text by its declared charset, else UTF-8, with any bytes that are not UTF-8 read
    as windows-1252; a leading byte-order mark is dropped. Never raises."""
    text, note = _decoded(data, charset)
    return text.removeprefix(_BYTE_ORDER_MARK), note


def _decoded(data: bytes, charset: str | None) -> tuple[str, str | None]:
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
    # One stray byte must not garble a whole UTF-8 body; text with no UTF-8 in it at all comes
    # out exactly as windows-1252 would read it, and is noted so.
    text = data.decode("utf-8", _STRAY_BYTES)
    if text == _windows_1252(data):
        return text, f"{what} decoded as windows-1252"
    return text, f"{what} decoded as utf-8, stray bytes as windows-1252"


def from_8bit(value: str) -> str:
    """Header text the stdlib kept as surrogate escapes: UTF-8 (RFC 6532), else windows-1252."""
    if not _SURROGATE.search(value):
        return value
    return decode_text(value.encode("utf-8", "surrogateescape"), None)[0]


def _decode_words(text: str) -> str:
    """Decode RFC 2047 encoded words leniently; adjacent words share bytes, so join them first."""
    out: list[str] = []
    pending, charset, last = b"", None, 0
    for word in _ENCODED_WORD.finditer(text):
        gap = text[last : word.start()]
        joins = charset is not None and not gap.strip()  # space between words is not text
        if charset is not None and not (joins and word.group(1).lower() == charset):
            out.append(decode_text(pending, charset)[0])
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
        out.append(decode_text(pending, charset)[0])
    out.append(text[last:])
    return "".join(out)


def header_text(value: str) -> str:
    text = _decode_words(_UNFOLD.sub("", from_8bit(value)))
    return " ".join(_CONTROL.sub(" ", text).split())

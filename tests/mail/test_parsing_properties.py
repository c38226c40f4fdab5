"""Parsing properties: no failure on hostile bytes, keys survive re-delivery, text round-trips."""

from __future__ import annotations

import base64
import codecs
from email.header import Header
from email.message import EmailMessage, Message

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from intake.errors import UnparseableMail
from intake.mail.charsets import decode_text
from intake.mail.parsing import content_digest, extract_message_id, message_key, parse
from tests.mail import build_message

SEEDS = [
    build_message(),
    build_message(message_id=None, html="<p>Hi <a href='https://x.example'>there</a></p>"),
    build_message(attachments=[("a.pdf", "application/pdf", b"%PDF" * 100)]),
    b"From: Andr\xe9 <a@b.example>\r\nSubject: caf\xe9\r\nContent-Type: text/plain; "
    b"charset=iso-8859-1\r\n\r\nGr\xfc\xdfe \x93\x94\r\n\r\n"
    b"On Mon, 3 Nov 2025, X wrote:\r\n> q\r\n",
    b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; "
    b"report-type=delivery-status; boundary=R\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\n"
    b"failed\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
    b"Final-Recipient: rfc822; x@y.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--R\r\n"
    b"Content-Type: message/rfc822\r\n\r\nMessage-ID: <o@agency.example>\r\nSubject: q\r\n\r\n"
    b"body\r\n--R--\r\n",
    b"Return-Path: <>\r\nFrom: MAILER-DAEMON@mx.example\r\nContent-Type: multipart/report; "
    b"report-type=delivery-status; boundary=R\r\n\r\n--R\r\nContent-Type: "
    b"message/global-delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
    b"Final-Recipient: utf-8; j\xc3\xb6rg@y.example\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
    b"--R\r\nContent-Type: message/global-headers\r\n\r\nMessage-ID: <o@agency.example>\r\n"
    b"\r\n--R--\r\n",
]

HOSTILE = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def parses_or_refuses(raw: bytes) -> None:
    try:
        mail = parse(raw, max_attachment_bytes=64)
    except UnparseableMail:
        return
    # whatever survives is plain text a database and a JSON encoder accept
    report = mail.delivery_report
    texts = [
        mail.text,
        mail.new_text,
        mail.subject,
        mail.from_address,
        mail.from_name,
        mail.message_id or "",
        *mail.to,
        *mail.cc,
        *mail.reply_to,
        *mail.references,
        *mail.in_reply_to,
        *(value for _, value in mail.headers),
        *(attachment.filename for attachment in mail.attachments),
    ]
    if report is not None:
        texts += [report.original_message_id or "", *report.recipients, report.diagnostic]
    for text in texts:
        text.encode("utf-8")
        assert "\x00" not in text
    # the cheap reader used when storing agrees with the full parse
    assert extract_message_id(raw) == mail.message_id


@HOSTILE
@given(st.binary(max_size=3000))
@example(b"From: a@b\r\nContent-Type: text/plain; charset*=''\x00\r\n\r\nx")
@example(b"From: a@b\r\nContent-Type: multipart/mixed\r\n\r\n--\x00\r\n")
def test_parse_raises_nothing_but_unparseable_mail_on_any_bytes(raw: bytes) -> None:
    parses_or_refuses(raw)


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    """A real message truncated, cut, duplicated or sprinkled with hostile bytes."""
    raw = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.sampled_from(["truncate", "insert", "delete", "duplicate", "flip"]))
        if kind == "truncate":
            del raw[at:]
        elif kind == "insert":
            raw[at:at] = draw(
                st.sampled_from(
                    [
                        b"\x00",
                        b"\r",
                        b"\n",
                        b"\r\n\r\n",
                        b"--",
                        b"=?",
                        b"?=",
                        b"\xff\xfe",
                        b"<",
                        b";",
                        b"Content-Type: multipart/mixed; boundary=",
                        b"=?utf-8?b?",
                        b"charset=x-\x00",
                    ]
                )
            )
        elif kind == "delete":
            del raw[at : at + draw(st.integers(1, 40))]
        elif kind == "duplicate":
            raw[at:at] = raw[at : at + draw(st.integers(1, 200))]
        elif raw:
            raw[min(at, len(raw) - 1)] ^= 1 << draw(st.integers(0, 7))
    return bytes(raw)


@HOSTILE
@given(mutated())
# A NUL in an international bounce's Final-Recipient reached the recipients it names
@example(SEEDS[5].replace(b"Final-Recipient: utf-8; j", b"Final-Recipient: utf-8; \x00j"))
def test_parse_survives_mutated_and_truncated_real_messages(raw: bytes) -> None:
    parses_or_refuses(raw)


@HOSTILE
@given(st.binary(max_size=2000))
def test_keys_digests_and_ids_never_raise(raw: bytes) -> None:
    assert message_key(raw, extract_message_id(raw)).startswith(("mid:", "sha256:"))
    assert len(content_digest(raw)) == 64


received_line = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), min_size=1, max_size=70
)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.sampled_from(SEEDS),
    received=st.lists(st.lists(received_line, min_size=1, max_size=3), max_size=4),
    crlf=st.booleans(),
)
def test_message_key_is_stable_under_received_headers_and_line_endings(
    seed: bytes, received: list[list[str]], crlf: bool
) -> None:
    # Given a message, and the same message re-delivered through more hops
    trace = b"".join(
        b"Received: " + b"\r\n\t".join(part.encode() for part in hop) + b"\r\n" for hop in received
    )
    again = (b"Return-Path: <bounce@x.example>\r\n" + trace + seed).replace(b"\r\n", b"\n")
    if crlf:
        again = again.replace(b"\n", b"\r\n")
    # Then it gets the same key and the same body digest
    assert message_key(again, extract_message_id(again)) == message_key(
        seed, extract_message_id(seed)
    )
    assert content_digest(again) == content_digest(seed)


word = st.text(st.sampled_from("abcxyzABC019.-@<>"), min_size=1, max_size=8)
field_line = st.tuples(
    st.sampled_from(["From", "To", "Subject", "Date", "X-Mailer", "Content-Type"]),
    st.lists(word, min_size=1, max_size=4).map(" ".join),
).map(lambda nv: f"{nv[0]}: {nv[1]}")
body_line = st.lists(word, min_size=1, max_size=6).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(
    head=st.lists(field_line, min_size=1, max_size=5),
    body=st.lists(body_line, min_size=1, max_size=5),
    blank_line=st.booleans(),
    which=st.integers(0, 100),
    at=st.integers(0, 100),
    char=st.sampled_from("#%&*+=?~"),
)
def test_two_different_messages_without_a_message_id_never_share_a_key(
    head: list[str], body: list[str], blank_line: bool, which: int, at: int, char: str
) -> None:
    # Given a message with no Message-ID, its body after a blank line or (as some senders
    # write it) straight after the headers, and another one character different anywhere
    lines = [*head, *([""] if blank_line else []), *body]
    other = list(lines)
    index = [i for i, line in enumerate(lines) if line][which % len(head + body)]
    line = other[index]
    spot = at % len(line)
    other[index] = line[:spot] + char + line[spot + 1 :]
    one, two = ("\r\n".join(x).encode() + b"\r\n" for x in (lines, other))
    # Then they are two messages: neither is taken for a copy of the other
    assert message_key(one, None) != message_key(two, None)


# Round trips: what a mail client writes in any charset comes back as the same characters.
CHARSETS = ["utf-8", "iso-8859-1", "windows-1252", "iso-8859-15", "iso-8859-2", "koi8-r"]


def alphabet(charset: str) -> st.SearchStrategy[str]:
    if charset == "utf-8":
        return st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"))
    chars = bytes(range(0x20, 0x7F)) + bytes(range(0xA0, 0x100))
    decoded = chars.decode(charset, "ignore")
    return st.sampled_from(sorted(c for c in decoded if c.isprintable() or c == " "))


@st.composite
def written(draw: st.DrawFn) -> tuple[str, str, str, str]:
    charset = draw(st.sampled_from(CHARSETS))
    letters = alphabet(charset)
    subject = draw(st.text(letters, max_size=80))
    lines = draw(st.lists(st.text(letters, max_size=70), min_size=1, max_size=8))
    cte = draw(st.sampled_from(["8bit", "quoted-printable", "base64"]))
    return charset, cte, subject, "\n".join(lines) + "\n"


@settings(max_examples=200, deadline=None)
@given(written())
def test_email_message_round_trips_subject_and_body(case: tuple[str, str, str, str]) -> None:
    charset, cte, subject, body = case
    assume(body.strip())
    # Given a message written with EmailMessage in some charset and transfer encoding
    message = EmailMessage()
    message["From"] = "Alice <alice@acme.example>"
    message["Subject"] = subject
    message.set_content(body, charset=charset, cte=cte)
    # When intake reads it back
    mail = parse(message.as_bytes())
    # Then the subject (whitespace folded) and the body text are what was written
    assert mail.subject == " ".join(subject.split())
    assert mail.text.rstrip("\n") == written_text(body)


def written_text(body: str) -> str:
    """What the text of a message with this body reads as: a blank body is no text (a
    message with a blank text part and an HTML one is read from its HTML)."""
    return body.rstrip("\n") if body.strip() else ""


@settings(max_examples=200, deadline=None)
@given(written())
def test_encoded_word_subjects_in_any_charset_round_trip(case: tuple[str, str, str, str]) -> None:
    charset, _, subject, body = case
    assume(codecs.lookup(charset).name != "utf-8" or subject.isprintable())
    # Given an older mailer that encodes the subject in the body's own charset (compat32)
    message = Message()
    message["From"] = "alice@acme.example"
    message["Subject"] = Header(subject, charset=charset)  # type: ignore[assignment]
    message.set_payload(body.encode(charset), charset=None)
    message["Content-Type"] = f"text/plain; charset={charset}"
    message["Content-Transfer-Encoding"] = "8bit"
    mail = parse(message.as_bytes())
    assert mail.subject == " ".join(subject.split())
    assert mail.text.rstrip("\n") == written_text(body)


# Bytes that are never part of UTF-8 where they are put: one between two whole characters is a
# continuation byte with nothing to continue, a lead byte with nothing after it, or never UTF-8.
STRAY_BYTES = st.sampled_from(
    [*range(0x80, 0xC0), 0xC0, 0xC1, 0xC3, 0xE2, 0xF0, *range(0xF5, 0x100)]
)


def as_windows_1252(byte: int) -> str:
    """The character a stray byte reads as: windows-1252, Latin-1 in its five gaps."""
    return bytes([byte]).decode("cp1252", "ignore") or chr(byte)


@settings(max_examples=300, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=60).filter(
        lambda text: not text.startswith("\ufeff")
    ),
    strays=st.dictionaries(st.integers(0, 60), STRAY_BYTES, max_size=5),
    charset=st.sampled_from(["utf-8", "UTF-8", None]),
)
def test_stray_bytes_in_utf8_text_add_only_their_own_characters(
    text: str, strays: dict[int, int], charset: str | None
) -> None:
    # Given UTF-8 text with single bytes that are not UTF-8 put between some of its characters
    data, expected = b"", ""
    for index, char in enumerate(text + "\0"):
        if index in strays:
            data += bytes([strays[index]])
            expected += as_windows_1252(strays[index])
        if index < len(text):
            data += char.encode()
            expected += char
    # When it is decoded
    decoded, _ = decode_text(data, charset)
    # Then it is the text with only those bytes' characters added, each where its byte was
    assert decoded == expected


# format=flowed: what a sender wraps, intake reads back as it was typed.
typed_line = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp"), blacklist_characters="\ufeff"),
    max_size=120,
).map(str.rstrip)  # a line ending in a space would be a soft break: senders trim them


def flowed_lines(line: str, cuts: set[int], delete_space: bool) -> list[str]:
    """A typed line as a sender wraps it (RFC 3676 section 4): broken after a space, or anywhere
    with DelSp=yes and a space added; each piece space-stuffed where it could be misread."""
    pieces, start = [], 0
    for cut in sorted(cuts):
        piece = line[start:cut] if not delete_space else line[start:cut] + " "
        if (delete_space or line[cut - 1] == " ") and piece != "-- ":  # never a separator
            pieces.append(piece)
            start = cut
    pieces.append(line[start:])
    return [" " + piece if piece.startswith((" ", ">", "From ")) else piece for piece in pieces]


@settings(max_examples=300, deadline=None)
@given(
    lines=st.lists(typed_line, min_size=1, max_size=6),
    cuts=st.lists(st.sets(st.integers(1, 119), max_size=6), min_size=6, max_size=6),
    delete_space=st.booleans(),
)
def test_flowed_text_reads_back_as_it_was_typed(
    lines: list[str], cuts: list[set[int]], delete_space: bool
) -> None:
    assume("".join(lines).strip())
    # Given lines as a person typed them, wrapped by their mail client as format=flowed
    wrapped = [
        piece
        for line, at in zip(lines, cuts, strict=False)
        for piece in flowed_lines(line, {cut for cut in at if cut < len(line)}, delete_space)
    ]
    body = "\r\n".join(wrapped).encode() + b"\r\n"
    delsp = b"; delsp=yes" if delete_space else b""
    raw = (
        b"From: alice@acme.example\r\nContent-Type: text/plain; charset=utf-8; format=flowed"
        + delsp
        + b"\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(body)
    )
    # When intake reads it
    mail = parse(raw)
    # Then the text is the lines as they were typed
    assert mail.text == "\n".join(lines) + "\n"

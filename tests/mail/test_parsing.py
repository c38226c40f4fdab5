"""Reading raw messages into InboundMail: charsets, headers, bodies, attachments, bounces."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest

from intake.errors import UnparseableMail
from intake.mail.parsing import (
    content_digest,
    extract_message_id,
    message_key,
    parse,
)
from tests.mail import build_message

HEAD = b"From: Alice <alice@acme.example>\r\nTo: support@agency.example\r\nSubject: Hi\r\n"


def raw_with(content_headers: bytes, body: bytes) -> bytes:
    return HEAD + content_headers + b"\r\n" + body


# --- charsets ----------------------------------------------------------------------------------


def test_8bit_latin1_body_comes_out_as_the_right_characters() -> None:
    # Given an 8-bit ISO-8859-1 reply, the message that stops django-helpdesk's mailbox
    raw = raw_with(
        b"Content-Type: text/plain; charset=ISO-8859-1\r\nContent-Transfer-Encoding: 8bit\r\n",
        b"Gr\xfc\xdfe, caf\xe9 costs \xa35.\r\n",
    )
    # When it is parsed
    mail = parse(raw)
    # Then the text holds the characters the sender typed, with no replacement characters
    assert mail.text == "Grüße, café costs £5.\n"
    assert "\ufffd" not in mail.text
    assert mail.defects == ()


def test_latin1_label_reads_windows_1252_quotes_and_euro() -> None:
    raw = raw_with(b"Content-Type: text/plain; charset=iso-8859-1\r\n", b"\x93Price\x94: \x80 5")
    assert parse(raw).text == "“Price”: € 5"


def test_undeclared_8bit_text_tries_utf8_then_windows_1252_and_notes_it() -> None:
    utf8 = parse(raw_with(b"", "naïve ☃".encode()))
    cp1252 = parse(raw_with(b"", b"\x93quoted\x94 \x80"))
    assert utf8.text == "naïve ☃"
    assert utf8.defects == ("undeclared charset decoded as utf-8",)
    assert cp1252.text == "“quoted” €"
    assert cp1252.defects == ("undeclared charset decoded as windows-1252",)


@pytest.mark.parametrize("label", ["x-unknown", "base64", "utf-8\x00", "unknown-8bit"])
def test_unknown_or_hostile_charset_never_raises(label: str) -> None:
    raw = raw_with(f"Content-Type: text/plain; charset={label}\r\n".encode(), b"caf\xc3\xa9")
    assert parse(raw).text == "café"


def test_declared_utf8_that_is_really_latin1_falls_back() -> None:
    mail = parse(raw_with(b"Content-Type: text/plain; charset=utf-8\r\n", b"caf\xe9"))
    assert mail.text == "café"
    assert mail.defects == ("text declared utf-8 decoded as windows-1252",)


def test_windows_1252_gaps_are_kept_as_latin1_not_dropped() -> None:
    assert parse(raw_with(b"", b"a\x81b\x93")).text == "a\x81b“"


def test_a_stray_8bit_byte_in_utf8_text_garbles_only_itself() -> None:
    # Given a UTF-8 reply whose signature was pasted from an older program, in windows-1252
    body = "Grüße aus München – €50".encode() + b"\nSent from Caf\xe9\n"
    # When it is parsed
    mail = parse(raw_with(b"Content-Type: text/plain; charset=utf-8\r\n", body))
    # Then the UTF-8 text reads right and only the stray byte is read as windows-1252
    assert mail.text == "Grüße aus München – €50\nSent from Café\n"
    assert mail.defects == ("text declared utf-8 decoded as utf-8, stray bytes as windows-1252",)


@pytest.mark.parametrize(
    ("content_headers", "encoded"),
    [
        (b"Content-Type: text/plain; charset=utf-8\r\n", "utf-8"),
        (b"", "utf-8"),
        (b"Content-Type: text/plain; charset=UTF-16LE\r\n", "utf-16-le"),
        (b"Content-Type: text/plain; charset=utf-16be\r\n", "utf-16-be"),
    ],
)
def test_a_leading_byte_order_mark_is_dropped(content_headers: bytes, encoded: str) -> None:
    # Given a staff reply whose editor wrote a byte-order mark before its first line
    body = "\ufeff#note internal: client is late paying\r\nHi Alice\r\n".encode(encoded)
    cte = b"Content-Transfer-Encoding: base64\r\n"
    # When it is parsed
    mail = parse(raw_with(content_headers + cte, base64.encodebytes(body)))
    # Then the text starts with what was typed, so a command on the first line is seen
    assert mail.text == "#note internal: client is late paying\nHi Alice\n"


# --- headers -----------------------------------------------------------------------------------


def test_encoded_word_subject_is_decoded_and_whitespace_folded() -> None:
    raw = (
        b"From: a@acme.example\r\nSubject: =?iso-8859-1?q?Caf=E9_au_?=\r\n"
        b" =?utf-8?b?bGFpdCDi?= =?utf-8?b?gqw=?=   and\r\n\tmore\r\n\r\nbody"
    )
    # the euro sign is split across two encoded words, as some encoders do
    assert parse(raw).subject == "Café au lait € and more"
    mixed = b"Subject: =?iso-8859-1?q?Caf=E9?=\r\n =?utf-8?q?=E2=82=AC?= =?x-bad?b?!!?= end\r\n\r\n"
    assert parse(mixed).subject == "Café€ end"


def test_8bit_subject_and_display_name_are_decoded() -> None:
    raw = b"From: Andr\xc3\xa9 M\xc3\xbcller <AM@Acme.Example>\r\nSubject: R\xe9sum\xe9\r\n\r\nx"
    mail = parse(raw)
    assert (mail.from_name, mail.from_address, mail.subject) == (
        "André Müller",
        "am@acme.example",
        "Résumé",
    )


def test_addresses_are_lowercased_addr_specs_and_names_decoded() -> None:
    raw = (
        b"From: =?utf-8?q?Doe=2C_J=C3=B6rg?= <Joerg.Doe@ACME.example>\r\n"
        b'To: "Support" <Support@Agency.Example>, bob@acme.example\r\n'
        b"Cc: Carol <carol@acme.example>\r\nReply-To: tickets@acme.example\r\n\r\nbody"
    )
    mail = parse(raw)
    assert mail.from_address == "joerg.doe@acme.example"
    assert mail.from_name == "Doe, Jörg"
    assert mail.to == ("support@agency.example", "bob@acme.example")
    assert mail.cc == ("carol@acme.example",)
    assert mail.reply_to == ("tickets@acme.example",)


def test_missing_or_null_from_gives_empty_address_and_bare_daemon_is_kept() -> None:
    assert parse(b"Subject: x\r\n\r\nbody").from_address == ""
    assert parse(b"From: <>\r\nSubject: x\r\n\r\nbody").from_address == ""
    assert parse(b"From: MAILER-DAEMON\r\n\r\nbody").from_address == "mailer-daemon"


@pytest.mark.parametrize("field", [b"From", b"To", b"Cc", b"Reply-To"])
def test_an_address_header_of_hundreds_of_nested_comments_gives_no_address(field: bytes) -> None:
    # Given a header that opens 500 comments before its address
    raw = field + b": " + b"(" * 500 + b" a@acme.example\r\nSubject: s\r\n\r\nb\r\n"
    # When it is parsed
    mail = parse(raw)
    # Then it gives no address, and the rest of the message is read
    assert (mail.from_address, mail.to, mail.cc, mail.reply_to) == ("", (), (), ())
    assert mail.subject == "s"


def test_comments_as_real_mail_writes_them_still_give_the_address() -> None:
    raw = b'From: "Jo (((Acme)))" <jo@acme.example> (via (the (web)))\r\n\r\nbody'
    assert parse(raw).from_address == "jo@acme.example"


def test_message_ids_are_normalised_and_kept_in_order() -> None:
    raw = (
        b"From: a@acme.example\r\nMessage-ID:  <abc.123@acme.example> \r\n"
        b"In-Reply-To: <q-1@agency.example> (Support's message)\r\n"
        b"References: <r-1@x.example>\r\n <q-1@agency.example> <r-1@x.example>\r\n\r\nbody"
    )
    mail = parse(raw)
    assert mail.message_id == "abc.123@acme.example"
    assert mail.in_reply_to == ("q-1@agency.example",)
    assert mail.references == ("r-1@x.example", "q-1@agency.example")


def test_a_references_header_of_thousands_keeps_the_thread_start_and_the_latest() -> None:
    # Given a References header far longer than any thread (junk, or an attack on the
    # database's limit of parameters in one query)
    ids = [f"<r-{n}@x.example>" for n in range(70_000)]
    raw = b"From: a@acme.example\r\nReferences: " + " ".join(ids).encode() + b"\r\n\r\nbody"
    # When it is parsed, then the first and the latest 99 are kept
    references = parse(raw).references
    assert len(references) == 100
    assert references[0] == "r-0@x.example" and references[1] == "r-69901@x.example"
    assert references[-1] == "r-69999@x.example"


@pytest.mark.parametrize("value", [None, "", "<>", "   "])
def test_missing_or_empty_message_id_is_none(value: str | None) -> None:
    raw = b"From: a@b.example\r\n" + (b"" if value is None else f"Message-ID: {value}\r\n".encode())
    assert parse(raw + b"\r\nbody").message_id is None


@pytest.mark.parametrize(
    ("header", "expected"),
    [(None, None), ("<>", ""), ("< >", ""), ("<Bounces+X@List.Example>", "bounces+x@list.example")],
)
def test_return_path(header: str | None, expected: str | None) -> None:
    trace = b"" if header is None else f"Return-Path: {header}\r\n".encode()
    assert parse(b"From: a@b.example\r\n" + trace + b"\r\nbody").return_path == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("Mon, 3 Nov 2025 10:00:00 +0100", datetime(2025, 11, 3, 9, 0, tzinfo=UTC)),
        ("3 Nov 2025 10:00 -0000", datetime(2025, 11, 3, 10, 0, tzinfo=UTC)),
        ("Tue, 3 Nov 2025 10:00:00 EST", datetime(2025, 11, 3, 15, 0, tzinfo=UTC)),
        ("yesterday at noon", None),
        ("Mon, 31 Feb 2025 10:00:00 +0000", None),
    ],
)
def test_date_is_utc_or_none(header: str, expected: datetime | None) -> None:
    mail = parse(f"From: a@b.example\r\nDate: {header}\r\n\r\nbody".encode())
    assert mail.date == expected
    assert mail.date is None or mail.date.tzinfo is UTC


def test_headers_keep_order_and_are_readable_by_name() -> None:
    raw = (
        b"Received: one\r\nFrom: a@b.example\r\nreceived: two\r\nX-Note: =?utf-8?q?=C3=A9?=\r\n\r\n"
    )
    mail = parse(raw)
    assert mail.headers[0] == ("received", "one")
    assert mail.header("RECEIVED") == "one"
    assert [value for key, value in mail.headers if key == "received"] == ["one", "two"]
    assert mail.header("x-note") == "é"
    assert mail.header("x-missing") is None


# --- bodies ------------------------------------------------------------------------------------


def test_alternative_parts_give_plain_text_and_keep_the_html() -> None:
    mail = parse(build_message(body="Plain words\n", html="<p>HTML <b>words</b></p>"))
    assert mail.text == "Plain words\n"
    assert mail.html is not None and "<b>words</b>" in mail.html
    assert mail.content_type == "multipart/alternative"


def test_html_only_mail_is_turned_into_readable_text() -> None:
    html = (
        "<html><head><title>T</title><style>p {color: red}</style></head><body>"
        "<p>Hello&nbsp;team,</p><p>The <a href='https://acme.example/form'>contact form</a>"
        " fails &amp; shows&#8230;<br>an error.</p><ul><li>one</li><li>two</li></ul>"
        "<script>alert(1)</script><div>On Mon, 3 Nov 2025, Dana wrote:</div>"
        "<blockquote><p>Old text</p></blockquote></body></html>"
    )
    raw = raw_with(b"Content-Type: text/html; charset=utf-8\r\n", html.encode())
    mail = parse(raw)
    assert mail.text == (
        "Hello team,\n\nThe contact form (https://acme.example/form) fails & shows…\n"
        "an error.\n\n- one\n- two\n\nOn Mon, 3 Nov 2025, Dana wrote:\n\n> Old text"
    )
    assert mail.new_text == (
        "Hello team,\n\nThe contact form (https://acme.example/form) fails & shows…\n"
        "an error.\n\n- one\n- two"
    )


def test_nul_characters_never_reach_the_text() -> None:
    assert parse(raw_with(b"", b"a\x00b")).text == "ab"


# --- format=flowed (RFC 3676) ------------------------------------------------------------------

FLOWED = b"Content-Type: text/plain; charset=utf-8; format=flowed\r\n"


def test_a_flowed_reply_is_read_with_its_soft_line_breaks_joined() -> None:
    # Given a staff reply from Thunderbird, which wraps a long command line at 72 characters
    body = (
        b"#log 1.5h traced it to our own bad deploy on Friday, so do not bill Acme for \r\n"
        b"this one, it was our fault\r\n\r\nHi Alice, it is fixed now.\r\n"
    )
    # When it is parsed
    mail = parse(raw_with(FLOWED, body))
    # Then the command is one line again and the greeting starts its own paragraph
    assert mail.text == (
        "#log 1.5h traced it to our own bad deploy on Friday, so do not bill Acme for "
        "this one, it was our fault\n\nHi Alice, it is fixed now.\n"
    )


def test_delsp_yes_drops_the_space_the_wrapping_added() -> None:
    headers = b"Content-Type: text/plain; format=flowed; delsp=yes\r\n"
    mail = parse(raw_with(headers, b"See https://acme.example/a-very- \r\nlong-path now\r\n"))
    assert mail.text == "See https://acme.example/a-very-long-path now\n"


def test_flowed_quotes_join_only_lines_of_the_same_depth() -> None:
    # Given a flowed reply quoting two levels, each wrapped, and one quoted line ending oddly
    body = (
        b"Yes.\r\n>> What time \r\n>> works?\r\n> Friday \r\n> at ten.\r\n"
        b"> Or Monday \r\nNo, Friday.\r\n"
    )
    # When it is parsed
    mail = parse(raw_with(FLOWED, body))
    # Then each quote is one line at its own depth, never run into a line of another depth
    assert mail.text == "Yes.\n>> What time works?\n> Friday at ten.\n> Or Monday \nNo, Friday.\n"


def test_flowed_space_stuffing_is_removed() -> None:
    mail = parse(raw_with(FLOWED, b" From the log:\r\n   indented\r\n >not a quote\r\n"))
    assert mail.text == "From the log:\n  indented\n>not a quote\n"


def test_the_signature_separator_is_never_a_soft_line_break() -> None:
    mail = parse(raw_with(FLOWED, b"See you Friday \r\n-- \r\nDana, Example Agency\r\n"))
    assert mail.text == "See you Friday \n-- \nDana, Example Agency\n"


def test_lines_ending_in_a_space_are_kept_when_the_text_is_not_flowed() -> None:
    mail = parse(raw_with(b"Content-Type: text/plain\r\n", b"#log 1h fixed \r\nthe form\r\n"))
    assert mail.text == "#log 1h fixed \nthe form\n"


# --- attachments -------------------------------------------------------------------------------


def test_attachment_is_kept_with_its_name_type_and_size() -> None:
    raw = build_message(attachments=[("report.pdf", "application/pdf", b"%PDF-1.4 data")])
    (attachment,) = parse(raw).attachments
    assert attachment.filename == "report.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == 13
    assert attachment.payload == b"%PDF-1.4 data"


def test_attachment_over_the_limit_keeps_only_its_size() -> None:
    data = bytes(range(256)) * 400
    raw = build_message(attachments=[("big.bin", "application/octet-stream", data)])
    (attachment,) = parse(raw, max_attachment_bytes=1000).attachments
    assert (attachment.size, attachment.payload) == (len(data), None)


@pytest.mark.parametrize(
    ("disposition", "expected"),
    [
        ('attachment; filename="../../etc/passwd"', "passwd"),
        ('attachment; filename="C:\\\\Users\\\\x\\\\.bashrc"', "bashrc"),
        ('attachment; filename="..."', "attachment-1"),
        ("attachment", "attachment-1"),
        ("attachment; filename*=utf-8''in%09voice%E2%80%AEgnp.exe", "in voicegnp.exe"),
        ('attachment; filename="caf\xe9.txt"', "café.txt"),
        ("attachment; filename*=iso-8859-1''r%E9sum%E9.pdf", "résumé.pdf"),
        ('attachment; filename="=?utf-8?b?w6l0w6kucGRm?="', "été.pdf"),
        ("attachment; filename=" + "a" * 300 + ".pdf", "a" * 196 + ".pdf"),
    ],
)
def test_attachment_filenames_are_sanitised(disposition: str, expected: str) -> None:
    raw = (
        b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain\r\n\r\nsee file\r\n--B\r\nContent-Type: application/pdf\r\n"
        + f"Content-Disposition: {disposition}\r\n".encode()
        + b"Content-Transfer-Encoding: base64\r\n\r\nJVBERg==\r\n--B--\r\n"
    )
    (attachment,) = parse(raw).attachments
    assert attachment.filename == expected
    assert (attachment.size, attachment.payload) == (4, b"%PDF")


def test_attached_message_is_an_attachment_not_part_of_the_body() -> None:
    inner = build_message(body="inner body\n", subject="inner")
    raw = (
        b"From: a@b.example\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n--B\r\n"
        b"Content-Type: text/plain\r\n\r\nsee attached\r\n--B\r\n"
        b"Content-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--B--\r\n"
    )
    mail = parse(raw)
    assert mail.text.strip() == "see attached"
    (attachment,) = mail.attachments
    assert attachment.content_type == "message/rfc822"
    assert attachment.payload is not None and b"inner body" in attachment.payload


# --- malformed MIME ----------------------------------------------------------------------------


def test_missing_closing_boundary_keeps_the_parts_and_notes_it() -> None:
    raw = raw_with(
        b"Content-Type: multipart/mixed; boundary=B\r\n",
        b"--B\r\nContent-Type: text/plain\r\n\r\nstill here\r\n--B\r\n"
        b"Content-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n"
        b"Content-Transfer-Encoding: base64\r\n\r\nJVBE",
    )
    mail = parse(raw)
    assert mail.text.strip() == "still here"
    assert [a.filename for a in mail.attachments] == ["a.pdf"]
    assert "missing closing boundary" in mail.defects


def test_truncated_base64_body_is_read_as_far_as_it_goes() -> None:
    raw = raw_with(
        b"Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n",
        b"SGVsbG8gd29ybGQh\r\nSGVsbG",
    )
    mail = parse(raw)
    assert mail.text == "Hello world!Hell"
    assert any("base64" in defect for defect in mail.defects)


def test_missing_boundary_parameter_is_guessed_from_the_body() -> None:
    raw = raw_with(
        b"Content-Type: multipart/alternative\r\n",
        b"--xyz\r\nContent-Type: text/plain\r\n\r\nthe text\r\n--xyz\r\n"
        b"Content-Type: text/html\r\n\r\n<p>the html</p>\r\n--xyz--\r\n",
    )
    mail = parse(raw)
    assert mail.text.strip() == "the text"
    assert mail.html is not None and "the html" in mail.html
    assert "missing boundary parameter guessed from the body" in mail.defects


def test_garbage_header_lines_nuls_and_bare_crs_are_survived() -> None:
    raw = (
        b"From: Alice <alice@acme.example>\r\nthis is not a header\r\n"
        b"Subject: Bro\x00ken\rsubject\r\nMessage-ID: <id@x>\r\n\r\nbody\r\n"
    )
    mail = parse(raw)
    assert (mail.subject, mail.message_id, mail.text) == ("Broken subject", "id@x", "body\n")
    assert "garbage line in the header block dropped" in mail.defects
    assert "NUL or bare CR in a header removed" in mail.defects


def test_headers_without_a_blank_line_before_the_body() -> None:
    mail = parse(b"From: a@b.example\r\nSubject: hi\r\nHello there\r\nsecond line\r\n")
    assert (mail.subject, mail.text) == ("hi", "Hello there\nsecond line\n")
    assert "no blank line between headers and body" in mail.defects


NESTED = (
    b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
        for i in range(1200)
    )
    + b"Content-Type: text/plain\r\n\r\ndeep\r\n"
)


@pytest.mark.parametrize(
    "content_type",
    [b"multipart/mixed; boundary=Z", b"multipart/mixed", b"multipart/report; boundary=Z"],
)
def test_hostile_nesting_does_not_raise(content_type: bytes) -> None:
    raw = (
        b"From: a@b.example\r\nContent-Type: " + content_type + b"\r\n\r\n--Z\r\n"
        b"Content-Type: message/rfc822\r\n\r\nFrom: x@y.example\r\n" + NESTED + b"--Z--\r\n"
    )
    for hostile in (raw, b"From: a@b.example\r\n" + NESTED):
        assert parse(hostile).from_address == "a@b.example"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"   \r\n\r\n",
        b"\x00\x01\x02\xff" * 50,
        b"just some text\n\nand more",
        b"\x00" * 9 + b"a: b",
    ],
)
def test_bytes_that_are_no_message_are_refused(raw: bytes) -> None:
    with pytest.raises(UnparseableMail):
        parse(raw)


# --- delivery reports --------------------------------------------------------------------------

DSN = (
    b"From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\nReturn-Path: <>\r\n"
    b"To: support@agency.example\r\nSubject: Undelivered Mail Returned to Sender\r\n"
    b"Content-Type: multipart/report; report-type=delivery-status; boundary=R\r\n\r\n"
    b"--R\r\nContent-Type: text/plain\r\n\r\nI'm sorry to have to inform you...\r\n"
    b"--R\r\nContent-Type: message/delivery-status\r\n\r\n"
    b"Reporting-MTA: dns; mx.acme.example\r\n\r\n"
    b"Final-Recipient: rfc822; Bob@Acme.Example\r\nOriginal-Recipient: rfc822;bob@acme.example\r\n"
    b"Action: failed\r\nStatus: 5.1.1\r\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 <bob@acme.example>: Recipient address\r\n rejected\r\n"
    b"\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\n"
    b"From: support@agency.example\r\nMessage-ID: <quote-42@agency.example>\r\n"
    b"Subject: [REQ-1042] Your quote\r\n\r\n--R--\r\n"
)


def test_delivery_status_notification_is_read() -> None:
    mail = parse(DSN)
    assert mail.content_type == "multipart/report"
    assert mail.text.startswith("I'm sorry")
    assert mail.attachments == ()
    report = mail.delivery_report
    assert report is not None
    assert report.original_message_id == "quote-42@agency.example"
    assert report.recipients == ("bob@acme.example",)
    assert (report.status, report.action) == ("5.1.1", "failed")
    assert report.diagnostic == "550 5.1.1 <bob@acme.example>: Recipient address rejected"


def test_returned_message_as_message_rfc822_gives_its_id() -> None:
    returned = build_message(message_id="<orig@agency.example>")
    raw = DSN.replace(b"Content-Type: text/rfc822-headers", b"Content-Type: message/rfc822")
    raw = raw.replace(raw[raw.index(b"From: support@") : raw.rindex(b"--R--")], returned)
    report = parse(raw).delivery_report
    assert report is not None and report.original_message_id == "orig@agency.example"


def test_international_delivery_status_notification_is_read() -> None:
    # Given a bounce in the international format (RFC 6533), about an address with an umlaut
    status = (
        "Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        "Final-Recipient: utf-8; Jörg@Acme.Example\r\nAction: failed\r\nStatus: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 <jörg@acme.example>: Recipient address\r\n rejected\r\n"
    ).encode()
    raw = DSN.replace(b"message/delivery-status", b"message/global-delivery-status")
    raw = (
        raw[: raw.index(b"Reporting-MTA")]
        + status
        + raw[raw.index(b"\r\n--R\r\nContent-Type: text/rfc822") :]
    )
    # When it is parsed
    report = parse(raw).delivery_report
    # Then its recipient, status and diagnostic are read as from the classic format
    assert report is not None
    assert report.original_message_id == "quote-42@agency.example"
    assert report.recipients == ("jörg@acme.example",)
    assert (report.status, report.action) == ("5.1.1", "failed")
    assert report.diagnostic == "550 5.1.1 <jörg@acme.example>: Recipient address rejected"


@pytest.mark.parametrize("kind", [b"global-delivery-status", b"delivery-status"])
def test_a_delivery_status_in_base64_is_read(kind: bytes) -> None:
    # Given a bounce whose status part, international or classic, is sent in base64
    status = b"Reporting-MTA: dns; mx\r\n\r\nFinal-Recipient: rfc822; bob@acme.example\r\n"
    status += b"Action: failed\r\nStatus: 5.2.2\r\n"
    head = b"Content-Type: message/" + kind + b"\r\n"
    raw = DSN.replace(
        b"Content-Type: message/delivery-status\r\n",
        head + b"Content-Transfer-Encoding: base64\r\n",
    )
    raw = (
        raw[: raw.index(b"Reporting-MTA")]
        + base64.encodebytes(status)
        + raw[raw.index(b"\r\n--R\r\nContent-Type: text/rfc822") :]
    )
    report = parse(raw).delivery_report
    assert report is not None
    assert (report.recipients, report.status, report.action) == (
        ("bob@acme.example",),
        "5.2.2",
        "failed",
    )


def test_a_returned_message_in_base64_still_names_our_message() -> None:
    # Given a bounce that returns our whole message as message/rfc822 in base64
    returned = b"From: support@agency.example\r\nSubject: [REQ-1001] x\r\n"
    returned += b"Message-ID: <quote-77@agency.example>\r\n\r\nYour quote.\r\n"
    start = DSN.index(b"Content-Type: text/rfc822")
    end = DSN.index(b"\r\n--R--")
    raw = (
        DSN[:start]
        + b"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\n"
        + base64.encodebytes(returned)
        + DSN[end:]
    )
    # When it is parsed
    report = parse(raw).delivery_report
    # Then the bounce is attached to the message it returns
    assert report is not None and report.original_message_id == "quote-77@agency.example"


def test_plain_mail_has_no_delivery_report() -> None:
    assert parse(build_message()).delivery_report is None


# --- the new part of a reply -------------------------------------------------------------------

GMAIL_TOP = """Approved, go ahead.

Thanks,
Alice

On Mon, 3 Nov 2025 at 10:00, Support <support@agency.example> wrote:
> Your quote is 6 hours.
>
> --\x20
> Example Agency
"""

OUTLOOK_TOP = """Please start on Monday.

Alice Smith | Acme Ltd

________________________________
From: Support <support@agency.example>
Sent: Monday, November 3, 2025 10:00 AM
To: Alice Smith <alice@acme.example>
Subject: RE: [REQ-1042] Contact form

Your quote is 6 hours.
"""

ORIGINAL_MESSAGE = """Declined, sorry.

-----Original Message-----
From: Support [mailto:support@agency.example]
Sent: 03 November 2025 10:00
Subject: Quote

Your quote is 6 hours.
"""

BOTTOM = """On 3 Nov 2025, at 10:00, Support <support@agency.example> wrote:
> Your quote is 6 hours.

Fine by me.

Sent from my iPhone
"""

INLINE = """Hi,

On Mon, Nov 3, 2025 at 10:00 AM Support <support@agency.example> wrote:
> Can you confirm the budget?
Yes, up to 6 hours.
> And the deadline?
Friday works.

--\x20
Alice
"""

FORWARD = """FYI, see below.

---------- Forwarded message ---------
From: Bob <bob@acme.example>
Date: Mon, 3 Nov 2025 at 09:00
Subject: Site down
To: Alice <alice@acme.example>

The site is down.
"""

GERMAN = """Bitte freigeben.

Am 03.11.2025 um 10:00 schrieb Support <support@agency.example>:
> Ihr Angebot
"""


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (GMAIL_TOP, "Approved, go ahead."),
        (OUTLOOK_TOP, "Please start on Monday.\n\nAlice Smith | Acme Ltd"),
        (ORIGINAL_MESSAGE, "Declined, sorry."),
        (BOTTOM, "Fine by me."),
        (INLINE, "Hi,\n\nYes, up to 6 hours.\nFriday works."),
        (FORWARD, FORWARD.strip()),
        (GERMAN, "Bitte freigeben."),
        ("Thanks, that works. Approved PO-4471.\n", "Thanks, that works. Approved PO-4471."),
        (
            "#quote 6h\n#type feature\n\nBest regards,\nDana\nExample Agency\n",
            "#quote 6h\n#type feature",
        ),
        ("Thanks!\n", "Thanks!"),
        ("> only a quote\n", "> only a quote"),
        (
            "On Monday the site went down and the log wrote:\nerror 42\n",
            "On Monday the site went down and the log wrote:\nerror 42",
        ),
    ],
    ids=[
        "gmail-top",
        "outlook-top",
        "original-message",
        "bottom",
        "inline",
        "forward",
        "german",
        "thanks-is-not-a-signature-mid-line",
        "staff-commands",
        "nothing-left",
        "all-quoted",
        "prose-is-not-an-attribution",
    ],
)
def test_new_text_is_only_what_the_sender_wrote_now(text: str, expected: str) -> None:
    # Given a reply as a mail client lays it out, When it is parsed, Then only the new part is left
    assert parse(build_message(body=text)).new_text == expected


STAFF_NOTICE_QUOTE = """

On Mon, 2 Nov 2026 at 10:16, Example Agency <support@agency.example> wrote:
> New request REQ-1001 from alice@acme.example: Site down
> Classified bug / critical (rule "down", score 0.92); quoted 0 h, included in the plan.
"""


def test_a_thanks_that_opens_a_reply_is_what_the_sender_says_and_the_quote_still_goes() -> None:
    # Given Dana's reply to a staff notice that opens with "Thanks!" and ends with her name
    body = "Thanks!\n\nWe are on it, a fix goes out tonight.\n\nDana" + STAFF_NOTICE_QUOTE
    # When it is parsed
    new_text = parse(build_message(body=body)).new_text
    # Then all she wrote is kept, and none of the notice she quoted
    assert new_text == "Thanks!\n\nWe are on it, a fix goes out tonight.\n\nDana"


def test_a_closing_with_more_of_the_message_after_it_is_not_a_signature() -> None:
    # Given a reply with "Thanks!" in its middle, followed by a sentence and a name
    body = "Hi Alice,\n\nThanks!\n\nWe are on it, a fix goes out tonight.\n\nDana\n"
    # When it is parsed, Then nothing is cut
    assert parse(build_message(body=body)).new_text == body.strip()


@pytest.mark.parametrize(
    "body",
    ["Thanks,\nApproved, PO 4471.\nZoe", "Thanks,\nPlease go ahead\nZoe", "Regards"],
    ids=["sentence-after-thanks", "words-after-thanks", "sign-off-only"],
)
def test_a_reply_that_only_looks_like_a_signature_keeps_its_words_not_the_quote(
    body: str,
) -> None:
    # Given a short reply above the quote whose lines could pass for a sign-off and a signature
    # When it is parsed
    new_text = parse(build_message(body=body + STAFF_NOTICE_QUOTE)).new_text
    # Then what the sender wrote is kept, and the quoted history is not
    assert new_text == body


def test_a_real_signature_at_the_end_is_still_cut() -> None:
    # Given an approval signed with a closing, a name, a title and contact lines
    body = (
        "Approved.\n\nKind regards,\nAlice Smith\nHead of Digital\nAcme Ltd.\n"
        "+44 20 7946 0000\nalice@acme.example | www.acme.example" + STAFF_NOTICE_QUOTE
    )
    # When it is parsed, Then only the approval is left
    assert parse(build_message(body=body)).new_text == "Approved."


def test_a_reply_with_nothing_above_the_quote_has_no_new_text() -> None:
    # Given a reply sent with nothing written above the attribution and the quote
    # When it is parsed, Then its new part is empty, never the quoted history
    assert parse(build_message(body=STAFF_NOTICE_QUOTE)).new_text == ""


def test_latin1_reply_is_stripped_not_choked_on() -> None:
    body = "Oui, c'est approuvé.\n\nLe lun. 3 nov. 2025 à 10:00, Support a écrit :\n> Devis\n"
    raw = raw_with(b"Content-Type: text/plain; charset=iso-8859-1\r\n", body.encode("latin-1"))
    assert parse(raw).new_text == "Oui, c'est approuvé."


QUOTED = "\n> Devis : 6 h, 900,00 €.\n> Example Agency\n"
UNMARKED = "\nDevis : 6 h, 900,00 €.\n"  # Outlook leaves the message below its header unmarked


@pytest.mark.parametrize(
    ("header", "quote"),
    [
        pytest.param(
            "Le lun. 2 nov. 2026 à 10:16, Example Agency <support@agency.example> a écrit :\n",
            QUOTED,
            id="fr-gmail",
        ),
        pytest.param(
            "Le lun. 2 nov. 2026 à 10:16, Example Agency <support@agency.example> a\nécrit :\n",
            QUOTED,
            id="fr-gmail-wrapped",
        ),
        pytest.param(
            "Le 2 nov. 2026 à 10:16, Example Agency <support@agency.example> a écrit :\n",
            QUOTED,
            id="fr-apple-mail",
        ),
        pytest.param(
            "Le 02/11/2026 à 10:16, Example Agency a écrit :\n", QUOTED, id="fr-thunderbird"
        ),
        pytest.param(
            "De : Example Agency <support@agency.example>\nEnvoyé : lundi 2 novembre 2026 10:16\n"
            "À : Alice Smith <alice@acme.example>\nObjet : RE: [REQ-1001] Devis\n",
            UNMARKED,
            id="fr-outlook",
        ),
        pytest.param(
            "El lun, 2 nov 2026 a las 10:16, Example Agency (<support@agency.example>) escribió:\n",
            QUOTED,
            id="es-gmail",
        ),
        pytest.param(
            "El lun, 2 nov 2026 a las 10:16, Example Agency (<support@agency.example>)\n"
            "escribió:\n",
            QUOTED,
            id="es-gmail-wrapped",
        ),
        pytest.param(
            "El 2 nov 2026, a las 10:16, Example Agency <support@agency.example> escribió:\n",
            QUOTED,
            id="es-apple-mail",
        ),
        pytest.param(
            "De: Example Agency <support@agency.example>\n"
            "Enviado: lunes, 2 de noviembre de 2026 10:16\n"
            "Para: Alice Smith <alice@acme.example>\nAsunto: RE: [REQ-1001] Presupuesto\n",
            UNMARKED,
            id="es-outlook",
        ),
        pytest.param(
            "Op ma 2 nov 2026 om 10:16 schreef Example Agency <support@agency.example>:\n",
            QUOTED,
            id="nl-gmail",
        ),
        pytest.param(
            "Op ma 2 nov 2026 om 10:16 schreef Example Agency <\nsupport@agency.example>:\n",
            QUOTED,
            id="nl-gmail-wrapped",
        ),
        pytest.param(
            "Op 2 nov. 2026 om 10:16 heeft Example Agency <support@agency.example> het volgende "
            "geschreven:\n",
            QUOTED,
            id="nl-apple-mail",
        ),
        pytest.param(
            "Op 02-11-2026 om 10:16 schreef Example Agency:\n", QUOTED, id="nl-thunderbird"
        ),
        pytest.param(
            "Van: Example Agency <support@agency.example>\n"
            "Verzonden: maandag 2 november 2026 10:16\n"
            "Aan: Alice Smith <alice@acme.example>\nOnderwerp: RE: [REQ-1001] Offerte\n",
            UNMARKED,
            id="nl-outlook",
        ),
    ],
)
def test_french_spanish_and_dutch_reply_headers_are_not_part_of_the_new_text(
    header: str, quote: str
) -> None:
    # Given an approval above the quoted quote, introduced as the client's mail program writes it
    body = "OK, approved\n\n" + header + quote
    # When it is parsed
    new_text = parse(build_message(body=body)).new_text
    # Then only the approval is left, without the attribution or the quote
    assert new_text == "OK, approved"


@pytest.mark.parametrize(
    "text",
    [
        "Le 2 novembre 2026 à 10:30, le client a écrit : « le paiement échoue ».\nMerci de voir.",
        "Bonjour,\nLe client a écrit :\nça ne marche plus depuis 10:30 le 2/11/2026",
        "Hola,\nEl 2/11/2026 a las 10:30 el cliente escribió: no funciona.\nGracias",
        "Hoi,\nOp 2 nov 2026 om 10:00 schreef Jan: de site ligt plat.\nGroet, Piet",
    ],
    ids=["fr", "fr-no-date", "es", "nl"],
)
def test_a_sentence_with_the_words_of_an_attribution_is_kept(text: str) -> None:
    # Given a reply whose own sentences say who wrote what and when
    # When it is parsed, Then none of it is cut
    assert parse(build_message(body=text + "\n")).new_text == text


# --- keys and digests --------------------------------------------------------------------------


def test_message_key_uses_the_message_id_when_there_is_one() -> None:
    raw = build_message(message_id="<k@acme.example>")
    assert message_key(raw, "<k@acme.example>") == "mid:k@acme.example"
    assert message_key(raw, extract_message_id(raw)) == "mid:k@acme.example"


def test_message_key_without_id_survives_a_redelivery() -> None:
    # Given a message with no Message-ID, and the same message delivered again through another hop
    raw = build_message(message_id=None)
    again = (
        b"Received: from mx2 by mx3; Tue, 4 Nov 2025 10:00:00 +0000\r\nReturn-Path: <a@b>\r\n"
        b"DKIM-Signature: v=1; b=abc\r\nARC-Seal: i=1\r\n" + raw.replace(b"\n", b"\r\n")
    )
    # Then both get the same key, and a different message does not
    assert message_key(raw, None) == message_key(again, None)
    assert message_key(raw, None).startswith("sha256:")
    assert message_key(raw, None) != message_key(build_message(message_id=None, body="x"), None)


@pytest.mark.parametrize("raw", [b"", b"\x00\xff\r\r\n", b"no headers at all", b":\n\n\n"])
def test_key_digest_and_id_never_raise(raw: bytes) -> None:
    assert message_key(raw, None).startswith("sha256:")
    assert len(content_digest(raw)) == 64
    assert extract_message_id(raw) is None


def test_content_digest_reads_from_date_subject_and_body_not_transport_or_line_endings() -> None:
    raw = build_message(body="same body\n", subject="Checkout")
    redelivered = b"Received: by mx2\nDelivered-To: support@agency.example\n" + raw
    assert content_digest(raw) == content_digest(redelivered.replace(b"\n", b"\r\n"))
    for other in (
        build_message(body="other body\n", subject="Checkout"),
        raw.replace(b"Subject: Checkout", b"Subject: Checkout now"),
        raw.replace(b"From: ", b"From: Mallory <m@evil.example>, "),
        raw.replace(b"Date: ", b"Date: Tue, 1 Dec 2026 10:00:00 +0000\nX-Old-Date: "),
    ):
        assert other != raw and content_digest(other) != content_digest(raw)


def test_extract_message_id_matches_parse() -> None:
    raw = b"From: a@b\r\nMessage-Id:\r\n  <folded@acme.example>\r\n\r\nx"
    assert extract_message_id(raw) == parse(raw).message_id == "folded@acme.example"


def test_a_body_of_thousands_of_header_like_lines_is_scanned_a_bounded_number_of_times(
    monkeypatch,
) -> None:
    # Given a body of 3,000 lines shaped like a Dutch attribution, none of them one
    from intake.mail import newtext

    looked = []
    real = newtext._attribution_around

    def counted(probe, line_no, limit):
        looked.append(line_no)
        return real(probe, line_no, limit)

    monkeypatch.setattr(newtext, "_attribution_around", counted)
    line = "Op 2026 ma 2 nov om 10:16 " + "abc def " * 35 + ":"
    # When its new part is read
    text = newtext.new_part_of("Hello\n" + "\n".join([line] * 3000))
    # Then at most 100 lines are tried as a reply header, and nothing is lost
    assert 0 < len(looked) <= 100
    assert text.startswith("Hello\n") and text.count("\n") == 3000


def test_white_space_before_a_header_s_colon_is_read_as_rfc_5322_says_receivers_must():
    raw = (
        b"From : Alice Smith <alice@acme.example>\r\nSubject\t: Checkout broken\r\n"
        b"Message-ID : <a1@acme.example>\r\n\r\nHello\r\n"
    )
    mail = parse(raw)
    assert (mail.from_address, mail.from_name, mail.subject) == (
        "alice@acme.example",
        "Alice Smith",
        "Checkout broken",
    )
    assert mail.message_id == extract_message_id(raw) == "a1@acme.example"
    assert mail.text.strip() == "Hello"
    assert "white space before a header's colon removed" in mail.defects


def test_an_mbox_separator_is_still_skipped():
    mail = parse(b"From alice@acme.example Mon Dec  7 09:00:00 2026\r\nFrom: a@b.example\r\n\r\nx")
    assert mail.from_address == "a@b.example" and not mail.defects

"""The bytes intake sends: text + HTML alternatives, and files attached beside them."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default

from hypothesis import given, settings
from hypothesis import strategies as st

from intake.outbox.compose import Attachment, Envelope, compose
from intake.outbox.templates import Rendered

RENDERED = Rendered("Statement for October 2026", "Total: 1,150.00\n", "<p>Total</p>")
ENVELOPE = Envelope("support@agency.example", "Example Agency", ("accounts@acme.example",))
NOW = datetime(2026, 11, 1, 6, tzinfo=UTC)


def test_without_attachments_the_message_is_text_and_html():
    parsed = email.message_from_bytes(compose(RENDERED, ENVELOPE, "m@x", NOW), policy=default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert list(parsed.iter_attachments()) == []


def test_attachments_travel_beside_the_text_and_html_intact():
    pdf = b"%PDF-1.4\n\x00\xff binary"
    files = [
        Attachment("statement-2026-10.csv", "text/csv; charset=utf-8", "a,b\r\n1,é\r\n".encode()),
        Attachment("statement-2026-10.pdf", "application/pdf", pdf),
    ]
    raw = compose(RENDERED, ENVELOPE, "m@x", NOW, files)
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed.get_content_type() == "multipart/mixed"
    assert parsed["Subject"] == "Statement for October 2026" and parsed["Message-ID"] == "<m@x>"
    assert "1,150.00" in parsed.get_body(("plain",)).get_content()
    attached = {a.get_filename(): a for a in parsed.iter_attachments()}
    assert attached["statement-2026-10.pdf"].get_content() == pdf
    assert attached["statement-2026-10.csv"].get_content_type() == "text/csv"
    assert attached["statement-2026-10.csv"].get_payload(decode=True) == "a,b\r\n1,é\r\n".encode()
    # And a content type's parameters (the CSV's charset) reach the reader
    assert attached["statement-2026-10.csv"].get_content() == "a,b\r\n1,é\r\n"


def test_a_non_ascii_address_stays_readable_for_smtputf8():
    envelope = Envelope("support@agency.example", "Agency", ("josé@acme.example", "b@acme.example"))
    raw = compose(RENDERED, envelope, "m@x", NOW)
    assert "To: josé@acme.example, b@acme.example\r\n".encode() in raw
    assert [a.addr_spec for a in read(raw)["To"].addresses] == [
        "josé@acme.example",
        "b@acme.example",
    ]


def test_long_headers_are_folded_and_every_line_ends_in_crlf():
    subject = "[REQ-7] " + " ".join(["checkout"] * 40)
    references = tuple(f"{n}.thread@client.example" for n in range(20))
    envelope = Envelope(
        "support@agency.example", "Agency", ("a@acme.example",), references=references
    )
    raw = compose(Rendered(subject, "t", "h"), envelope, "m@x", NOW)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert max(len(line) for line in head.split(b"\r\n")) <= 78
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == subject
    assert parsed["References"].split() == [f"<{r}>" for r in references]


@settings(max_examples=60, deadline=None)
@given(
    subject=st.text(
        st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=990, max_size=1500
    ),
    mid=st.text(st.sampled_from("abcdef0123456789.-"), min_size=1, max_size=1200),
)
def test_no_header_line_passes_998_octets_whatever_is_copied_into_it(subject, mid):
    # A subject of one unbroken word and a Message-ID of someone's mail, too long for a line
    envelope = Envelope(
        "support@agency.example",
        "Agency",
        ("a@acme.example",),
        in_reply_to=f"{mid}@client.example",
        references=(f"{mid}@client.example",),
    )
    raw = compose(Rendered(f"[REQ-7] {subject}", "t", "h"), envelope, "m@x", NOW)
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert max(len(line) for line in head.split(b"\r\n")) <= 998
    parsed = email.message_from_bytes(raw, policy=default)
    assert parsed["Subject"] == f"[REQ-7] {subject}"
    kept = len(mid) + len("@client.example") <= 900
    assert (parsed["In-Reply-To"] is not None) is kept


text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=300)
word = st.text(st.characters(blacklist_categories=("Cs", "Cc", "Z")), min_size=1, max_size=30)
line = st.lists(word, min_size=1, max_size=12).map(" ".join)


def read(raw: bytes) -> email.message.EmailMessage:
    """As a mail program that speaks SMTPUTF8 reads it: headers in UTF-8."""
    return email.message_from_string(raw.decode("utf-8"), policy=default)


@settings(max_examples=150, deadline=None)
@given(
    subject=line,
    name=line,
    body=text,
    html=text,
    files=st.lists(st.tuples(word, st.binary(max_size=200)), max_size=3),
)
def test_what_is_composed_reads_back_as_written(subject, name, body, html, files):
    envelope = Envelope("support@agency.example", name, ("a@acme.example",))
    attachments = [
        Attachment(f"{n}-{i}", "application/octet-stream", d) for i, (n, d) in enumerate(files)
    ]
    parsed = read(compose(Rendered(subject, body, html), envelope, "m@x", NOW, attachments))
    assert parsed["Subject"] == subject
    assert parsed["From"].addresses[0].display_name == name
    assert parsed.get_body(("plain",)).get_content() == body
    assert parsed.get_body(("html",)).get_content() == html
    got = [(a.get_filename(), a.get_content()) for a in parsed.iter_attachments()]
    assert got == [(a.filename, a.data) for a in attachments]

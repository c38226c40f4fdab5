"""The bytes intake sends: text + HTML alternatives, and files attached beside them."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default

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
        Attachment("statement-2026-10.csv", "text/csv", "a,b\r\n1,é\r\n".encode()),
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

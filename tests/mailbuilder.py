"""Build realistic raw messages for tests that need many or varied ones."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

# What the agency's own receiving server (authserv_id mx.agency.example) says of staff mail.
STAFF_AUTH = {
    "Authentication-Results": "mx.agency.example; dkim=pass header.d=agency.example; "
    "dmarc=pass (p=reject) header.from=agency.example"
}


def message(
    *,
    sender: str = "alice@acme.example",
    name: str = "Alice Smith",
    to: str = "support@agency.example",
    subject: str = "Checkout page is broken",
    body: str = "Hello,\n\nthe checkout returns error 500 since this morning.\n\nAlice\n",
    message_id: str | None = "auto",
    in_reply_to: str | None = None,
    references: list[str] | None = None,
    headers: dict[str, str] | None = None,
    date: datetime | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"{name} <{sender}>" if name else sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(date or datetime(2026, 11, 2, 10, 15, tzinfo=UTC))
    if message_id == "auto":
        msg["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "example")
    elif message_id is not None:
        msg["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    if headers is None:
        # By default the agency's receiving server vouches for the sender's domain; pass
        # headers={} for mail it did not authenticate.
        domain = sender.rpartition("@")[2]
        headers = {"Authentication-Results": f"mx.agency.example; dmarc=pass header.from={domain}"}
    for key, value in headers.items():
        msg[key] = value
    msg.set_content(body)
    for filename, ctype, payload in attachments or []:
        maintype, _, subtype = ctype.partition("/")
        msg.add_attachment(payload, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(msg).replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")


def bounce(original_message_id: str, recipient: str = "alice@acme.example") -> bytes:
    """A DSN (multipart/report) from MAILER-DAEMON about one of our messages."""
    boundary = "dsn-boundary-1"
    return (
        "Return-Path: <>\r\n"
        "From: Mail Delivery System <MAILER-DAEMON@mx.acme.example>\r\n"
        "To: support@agency.example\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        "Date: Mon, 02 Nov 2026 10:20:00 +0000\r\n"
        "Message-ID: <bounce-1@mx.acme.example>\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
        "Your message could not be delivered.\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: message/delivery-status\r\n\r\n"
        "Reporting-MTA: dns; mx.acme.example\r\n\r\n"
        f"Final-Recipient: rfc822; {recipient}\r\n"
        "Action: failed\r\n"
        "Status: 5.1.1\r\n"
        "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
        f"--{boundary}\r\n"
        "Content-Type: text/rfc822-headers\r\n\r\n"
        "From: support@agency.example\r\n"
        f"To: {recipient}\r\n"
        "Subject: [REQ-1001] Your request\r\n"
        f"Message-ID: <{original_message_id}>\r\n\r\n"
        f"--{boundary}--\r\n"
    ).encode()

"""Tests of intake.mail, and the builder of the ordinary messages they read."""

from __future__ import annotations

from collections.abc import Iterable
from email.message import EmailMessage


def build_message(
    *,
    body: str = "Hello,\n\nThe contact form is broken.\n",
    subject: str = "Contact form broken",
    sender: str = "Alice Smith <alice@acme.example>",
    to: str = "support@agency.example",
    headers: Iterable[tuple[str, str]] = (),
    html: str | None = None,
    charset: str = "utf-8",
    attachments: Iterable[tuple[str, str, bytes]] = (),
    message_id: str | None = "<m1@acme.example>",
) -> bytes:
    """An ordinary message a person might send, as the bytes intake stores."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = "Mon, 03 Nov 2025 10:00:00 +0000"
    if message_id is not None:
        message["Message-ID"] = message_id
    for name, value in headers:
        message[name] = value
    message.set_content(body, charset=charset)
    if html is not None:
        message.add_alternative(html, subtype="html")
    for filename, content_type, data in attachments:
        maintype, _, subtype = content_type.partition("/")
        message.add_attachment(data, maintype=maintype, subtype=subtype, filename=filename)
    return message.as_bytes()

"""Turning a rendered email into the exact bytes intake sends: multipart text + HTML, our
Message-ID, the thread headers, and Auto-Submitted on what a machine wrote. Pure."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.charset import BASE64, Charset
from email.encoders import encode_base64
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.policy import compat32
from email.utils import format_datetime, formataddr

from intake.outbox.templates import Rendered

WIRE = compat32.clone(linesep="\r\n")
# Base64 bodies: encoded in C, safe through any relay, and read by every mail program.
UTF8 = Charset("utf-8")
UTF8.body_encoding = BASE64


@dataclass(frozen=True)
class Envelope:
    sender: str  # the support address
    sender_name: str  # the agency's name
    to: tuple[str, ...]
    reply_to: str | None = None
    in_reply_to: str | None = None  # a message id without <>
    references: tuple[str, ...] = ()
    automatic: bool = True  # Auto-Submitted: auto-replied
    ref: str | None = None  # REQ-1042, carried in a header as well as the subject


def new_message_id(domain: str, now: datetime) -> str:
    """A Message-ID of ours (without <>), unique and recognisable."""
    return f"{now:%Y%m%d%H%M%S}.{secrets.token_hex(6)}.intake@{domain}"


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "text/csv", "application/pdf"
    data: bytes


def compose(
    rendered: Rendered,
    envelope: Envelope,
    message_id: str,
    now: datetime,
    attachments: Sequence[Attachment] = (),
) -> bytes:
    # The compat32 MIME classes build the same message as EmailMessage several times
    # faster (no header re-parsing), which matters at hundreds of replies a second.
    body = MIMEMultipart("alternative")
    body.attach(_part(rendered.text, "plain"))
    body.attach(_part(rendered.html, "html"))
    msg = body
    if attachments:
        msg = MIMEMultipart("mixed")
        msg.attach(body)
        for attachment in attachments:
            msg.attach(_attachment(attachment))
    msg["From"] = formataddr((envelope.sender_name, envelope.sender), charset="utf-8")
    msg["To"] = ", ".join(envelope.to)
    msg["Subject"] = _header(rendered.subject)
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = f"<{message_id}>"
    if envelope.reply_to:
        msg["Reply-To"] = envelope.reply_to
    if envelope.in_reply_to:
        msg["In-Reply-To"] = f"<{envelope.in_reply_to}>"
    references = _references(envelope.references, envelope.in_reply_to)
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references)
    if envelope.automatic:
        msg["Auto-Submitted"] = "auto-replied"
        # Ask other robots (Exchange out-of-office among them) not to answer us.
        msg["X-Auto-Response-Suppress"] = "All"
    msg["X-Intake-Origin"] = envelope.ref or "intake"
    return msg.as_bytes(policy=WIRE)


def _header(value: str) -> str:
    if value.isascii():
        return value
    return Header(value, "utf-8", header_name="Subject").encode()


def _part(text: str, subtype: str) -> MIMEText:
    part = MIMEText("", subtype, _charset=None)
    del part["Content-Transfer-Encoding"]
    part.set_payload(text, UTF8)
    return part


def _attachment(attachment: Attachment) -> MIMEBase:
    maintype, _, subtype = attachment.content_type.partition("/")
    part = MIMEBase(maintype, subtype)
    part.set_payload(attachment.data)
    encode_base64(part)
    part.add_header("Content-Disposition", "attachment", filename=attachment.filename)
    return part


def _references(references: Sequence[str], in_reply_to: str | None) -> list[str]:
    chain = [r for r in references if r]
    if in_reply_to and in_reply_to not in chain:
        chain.append(in_reply_to)
    return chain[-20:]  # keep the header a sane length on long threads

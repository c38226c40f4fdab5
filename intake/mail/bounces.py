"""What a bounce says about the message that could not be delivered: from a delivery
status notification (RFC 3464), or from the plain text of an older MTA's bounce."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from email.message import Message

from intake.mail.charsets import decode_text, header_text
from intake.mail.headers import DAEMON, MAX_ADDRESS, first_value, normalise_id
from intake.mail.mime import declared_charset, parts, read_tree, text_of_message_part

_STATUS_PARTS = frozenset({"message/delivery-status", "message/global-delivery-status"})

REPORT_PARTS = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "text/rfc822-headers",
        "message/rfc822-headers",
        "message/global-headers",
        "message/rfc822",
        "message/global",
    }
)

_QUOTED_ID = re.compile(r"^\s*Message-ID:\s*(<[^<>]+>)", re.IGNORECASE | re.MULTILINE)

_STATUS_CODE = re.compile(r"\b[245]\.\d{1,3}\.\d{1,3}\b")


@dataclass(frozen=True)
class DeliveryReport:
    """What a bounce says about the message that could not be delivered.

    Read from a delivery status notification (multipart/report, RFC 3464), or from the plain-text
    bounce of an older MTA (qmail, some Exchange and cPanel servers) when it quotes the returned
    Message-ID: without one there is nothing to attach it to.
    """

    original_message_id: str | None
    recipients: tuple[str, ...]
    status: str
    action: str
    diagnostic: str


def read_bounce(
    report_parts: list[Message],
    text: str,
    auto_submitted: str,
    return_path: str | None,
    sender: str,
    loose_parts: Sequence[Message] = (),
) -> DeliveryReport | None:
    """The report of a bounce: from the parts of a multipart/report (``REPORT_PARTS``), else,
    from such parts in a multipart/mixed (``loose_parts``: older Sendmail, Exchange and bulk
    services), else, from a mailer daemon or the null sender (in From or Return-Path), from
    a plain-text notice that quotes the returned Message-ID or attaches the returned message.
    ``auto_submitted``: the decoded Auto-Submitted header."""
    report = _delivery_report(report_parts, text)
    if report is not None or auto_submitted.partition(";")[0].strip().lower() != "no":
        return report  # an RFC 3834 auto-reply also comes from the null sender
    # A status part is written by mail servers only, whoever sends it (bulk services do).
    report = _delivery_report(list(loose_parts), text)
    returned_to = (return_path or "").partition("@")[0]
    if report is None and (
        return_path == ""
        or any(DAEMON.fullmatch(local) for local in (sender.partition("@")[0], returned_to))
    ):
        return _plain_bounce(text, loose_parts)
    return report


def _delivery_report(parts: list[Message], text: str) -> DeliveryReport | None:
    blocks: list[dict[str, str]] = []
    original: str | None = None
    for part in parts:
        if part.get_content_type() in _STATUS_PARTS:
            blocks.extend(_status_blocks(part))
        elif original is None and part.get_content_type() != "message/disposition-notification":
            original = _returned_message_id(part)
    if not blocks:
        return None
    if original is None:  # some MTAs quote the returned headers in the human-readable part
        quoted = _QUOTED_ID.search(text)
        original = normalise_id(quoted.group(1)) if quoted else None
    recipients = [b for b in blocks if "final-recipient" in b or "original-recipient" in b]
    failed = [b for b in recipients if b.get("action", "").lower() == "failed"] or recipients
    first = failed[0] if failed else {}
    addresses = [
        b[key].rpartition(";")[2].strip().strip("<>").lower()
        for b in failed
        for key in ("final-recipient", "original-recipient")
        if key in b
    ]
    status = _STATUS_CODE.search(first.get("status", ""))
    return DeliveryReport(
        original_message_id=original,
        recipients=tuple(dict.fromkeys(a for a in addresses if 0 < len(a) <= MAX_ADDRESS)),
        status=status.group(0) if status else first.get("status", "").strip(),
        action=first.get("action", "").strip().lower(),
        diagnostic=first.get("diagnostic-code", "").partition(";")[2].strip()
        or first.get("diagnostic-code", "").strip(),
    )


def _plain_bounce(text: str, attached: Sequence[Message] = ()) -> DeliveryReport | None:
    """A bounce without a report: qmail's "<address>:" paragraphs, then a copy of the message
    (quoted in the text, or ``attached`` as message/rfc822 or its headers)."""
    quoted = _QUOTED_ID.search(text)
    notice = text[: quoted.start()] if quoted else text
    original = (
        normalise_id(quoted.group(1))
        if quoted
        else next(filter(None, map(_returned_message_id, attached)), None)
    )
    if original is None:
        return None
    recipients = re.findall(r"^<([^<>\s]+@[^<>\s]+)>:\s*$", notice, re.MULTILINE)
    explained = re.search(r"^<[^<>\s]+@[^<>\s]+>:\s*\n(.+)$", notice, re.MULTILINE)
    status = _STATUS_CODE.search(notice)
    code = status.group(0) if status else ""
    return DeliveryReport(
        original_message_id=original,
        recipients=tuple(dict.fromkeys(a.lower() for a in recipients if len(a) <= MAX_ADDRESS)),
        status=code,
        action={"5": "failed", "4": "delayed"}.get(code[:1], ""),
        diagnostic=" ".join(explained.group(1).split()) if explained else "",
    )


def _status_blocks(part: Message) -> list[dict[str, str]]:
    classic = part.get_content_type() == "message/delivery-status"
    blocks = parts(part) if classic and not _encoded(part) else None
    if blocks is not None:  # the stdlib reads each block of fields as a header-only message
        return [
            {key.lower(): header_text(value) for key, value in reversed(list(block.raw_items()))}
            for block in blocks
            if isinstance(block, Message)
        ]
    # The international form (RFC 6533) is read by the stdlib as one message, and a status part
    # in base64 or quoted-printable as its encoded text: read as text; fields may be UTF-8.
    data = text_of_message_part(part)
    # NULs removed as from any header field (they end a string in C, and PostgreSQL refuses them)
    text = decode_text(data, declared_charset(part) or "utf-8")[0].replace("\r\n", "\n")
    text = text.replace("\x00", "")
    return [
        {
            name.lower(): " ".join(value.split())
            for name, value in reversed(
                re.findall(r"^([\w-]+)[ \t]*:[ \t]*(.*(?:\n[ \t].*)*)", chunk, re.MULTILINE)
            )
        }
        for chunk in re.split(r"\n[ \t]*\n", text)
    ]


def _returned_message_id(part: Message) -> str | None:
    """The Message-ID of the returned message (or its headers) in a report part."""
    inner = parts(part)
    if inner is None or _encoded(part):  # encoded, the stdlib read its text as the message
        returned = read_tree(text_of_message_part(part))
    else:
        returned = next(iter(inner), None)
    if returned is None:
        return None
    value = first_value([(k.lower(), v) for k, v in returned.raw_items()], "message-id")
    return normalise_id(header_text(value)) if value else None


def _encoded(part: Message) -> bool:
    """Whether a part is sent in base64 or quoted-printable (a message/* part should not be)."""
    encoding = str(part.get("content-transfer-encoding", "")).strip().lower()
    return encoding not in ("", "7bit", "8bit", "binary")

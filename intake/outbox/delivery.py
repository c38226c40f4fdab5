"""Delivering the outbox over SMTP: each message is locked, sent and recorded in its own
transaction on one reused connection, so a second worker never sends it too, and only a
crash between the server's accept and our commit can send it again (same Message-ID).
A message whose recipients are refused, for now or for good, waits or fails alone; only
trouble with the server itself holds back the rest of the batch from that mailbox."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from intake.db import transaction, utcnow
from intake.errors import AuthorizationLost, LoginRejected, ServerUnreachable
from intake.outbox.models import OutboundMessage
from intake.outbox.smtp import Delivery, Parcel, SmtpConnection, SmtpTemporaryError
from intake.requests import service as requests
from intake.requests.models import Request
from intake.settings import MailboxSettings, Settings

log = logging.getLogger(__name__)
# The server itself takes no mail now: its mailbox's emails wait, none of them fails.
_OUTAGE = (SmtpTemporaryError, ServerUnreachable, LoginRejected, AuthorizationLost)
_HEADERS = BytesHeaderParser(policy=compat32)


# Who else must hear of an email the mail server refused, for good (``refused`` None) or
# for some of its recipients (``refused`` names them): run in the transaction that records
# the refusal, so the notice they queue is kept exactly when the refusal is. The stage that
# cares registers itself (billing, for statements); the outbox knows none of them.
RefusalHook = Callable[[Session, Settings, OutboundMessage, Sequence[str] | None], object]
_refusal_hooks: list[RefusalHook] = []


def on_refusal(hook: RefusalHook) -> RefusalHook:
    """Register ``hook`` for every refused email (once, however often it is registered)."""
    if hook not in _refusal_hooks:
        _refusal_hooks.append(hook)
    return hook


# Seconds to wait before the n-th retry after a deferral (then the last one, repeated).
BACKOFF = (2, 5, 15, 30, 60, 120, 300)


# The email to send, locked for this transaction; another worker skips it meanwhile.
_LOCK_PENDING = (
    sa.select(OutboundMessage.id, OutboundMessage.recipients, OutboundMessage.raw)
    .where(OutboundMessage.id == sa.bindparam("id"), OutboundMessage.state == "pending")
    .with_for_update(skip_locked=True)
)
_MARK_SENT = (
    sa.update(OutboundMessage)
    .where(OutboundMessage.id == sa.bindparam("email"))
    .values(
        state="sent",
        sent_at=sa.bindparam("sent_at_now"),
        last_error=sa.bindparam("refusal"),  # None unless some recipients were refused
        attempts=OutboundMessage.attempts + 1,
    )
    .execution_options(synchronize_session=False)
)


@dataclass
class DeliveryResult:
    sent: list[int] = field(default_factory=list)  # including those in ``refused_in_part``
    failed: list[int] = field(default_factory=list)
    refused_in_part: list[int] = field(default_factory=list)  # sent, but not to everyone
    waiting: list[int] = field(default_factory=list)  # refused for now, tried again alone
    deferred: str | None = None  # why the rest of the batch waits


def deliver(
    factory: sessionmaker[Session], settings: Settings, ids: Sequence[int]
) -> DeliveryResult:
    result = DeliveryResult()
    # One connection a mailbox: each email leaves through the server of the address it is
    # from (the mailbox its request came in on).
    connections: dict[str, SmtpConnection] = {}
    down: dict[str, str] = {}  # mailbox address: why its server takes no mail now
    held: list[int] = []  # emails from those mailboxes, left for the sweeper
    try:
        for outbound_id in sorted(set(ids)):
            with transaction(factory) as session:
                row = session.execute(_LOCK_PENDING, {"id": outbound_id}).first()
                if row is None:
                    continue  # sent already, or another worker holds it right now
                mailbox = settings.mailbox_at(_sender(row.raw))
                if mailbox.address in down:
                    held.append(row.id)
                    continue
                try:
                    delivery = _send(connections, factory, mailbox, row)
                except _OUTAGE as exc:
                    # Nothing is lost: this mailbox's emails stay pending and the sweeper
                    # brings them back later; the other mailboxes' go on now.
                    log.warning("SMTP delivery from %s deferred: %s", mailbox.address, exc)
                    down[mailbox.address] = str(exc)
                    held.append(row.id)
                    stale = connections.pop(mailbox.address, None)
                    if stale is not None:
                        stale.close()
                    continue
                if delivery.accepted:
                    # One statement, not the ORM's unit of work: this runs once an email.
                    session.execute(
                        _MARK_SENT,
                        {"email": row.id, "sent_at_now": utcnow(), "refusal": delivery.refusal},
                    )
                    result.sent.append(row.id)
                    if delivery.refused:
                        # Those who got it keep it; those refused are named where a
                        # refused email is: on its request, and to staff for a statement.
                        email = session.get_one(OutboundMessage, row.id)
                        result.refused_in_part.append(row.id)
                        _refused(session, settings, email, list(delivery.refused))
                elif delivery.temporary_error is not None:
                    # Its recipients' mailboxes are full or busy: only this email waits.
                    email = session.get_one(OutboundMessage, row.id)
                    _back_off(email, delivery.temporary_error)
                    result.waiting.append(row.id)
                else:
                    email = session.get_one(OutboundMessage, row.id)
                    email.attempts += 1
                    email.state, email.last_error = "failed", delivery.permanent_error
                    result.failed.append(row.id)
                    _refused(session, settings, email, None)
        if held:
            result.deferred = "; ".join(down.values())
            _note_deferral(factory, held, result.deferred)
    finally:
        for connection in connections.values():
            connection.close()
    return result


def _send(
    connections: dict[str, SmtpConnection],
    factory: sessionmaker[Session],
    mailbox: MailboxSettings,
    row: sa.Row[int, list[str], bytes],
) -> Delivery:
    """Send one email through its mailbox's connection, opened on first use. An outage of
    the server is raised; an email that breaks the client is parked as failed."""
    connection = connections.get(mailbox.address)
    if connection is None:
        connection = SmtpConnection(mailbox.smtp, factory)
        connection.open()
        connections[mailbox.address] = connection
    try:
        return connection.send(Parcel(mailbox.address, tuple(row.recipients), row.raw))
    except _OUTAGE:
        raise
    except Exception as exc:  # the outbox runner: park this email, send the rest
        log.exception("outbox %s could not be sent; marked failed", row.id)
        connections.pop(mailbox.address).close()  # in an unknown state after that
        return Delivery(False, f"could not be sent: {exc!r}"[:1000])


def _sender(raw: bytes) -> str:
    """The address an email of ours is From: its headers as composed, read back."""
    return parseaddr(str(_HEADERS.parsebytes(raw)["From"] or ""))[1]


def _refused(
    session: Session, settings: Settings, email: OutboundMessage, refused: list[str] | None
) -> None:
    _tell_request(session, email, refused)
    for hook in _refusal_hooks:
        hook(session, settings, email, refused)


def _tell_request(
    session: Session, row: OutboundMessage, refused: Sequence[str] | None = None
) -> None:
    """An "undeliverable" event on the email's request: refused for everyone, or (with
    ``refused``) sent, but not to those recipients."""
    if row.request_id is None:
        return
    request = session.get(Request, row.request_id)
    if request is None:
        return
    if refused:
        reached = [r for r in row.recipients if r not in refused]
        detail = f"{row.kind} sent to {', '.join(reached)}, but {row.last_error}"
    else:
        detail = f"{row.kind} to {', '.join(row.recipients)} refused: {row.last_error}"
    requests.record(session, request, "undeliverable", "intake", None, detail)


def _note_deferral(factory: sessionmaker[Session], ids: Sequence[int], error: str) -> None:
    with transaction(factory) as session:
        rows = session.scalars(
            sa.select(OutboundMessage)
            .where(OutboundMessage.id.in_(ids), OutboundMessage.state == "pending")
            .order_by(OutboundMessage.id)
            .with_for_update(skip_locked=True)
        ).all()
        for row in rows:
            _back_off(row, error)


def _back_off(row: OutboundMessage, error: str) -> None:
    """Count a failed try of a pending email and keep it back for its next wait."""
    row.attempts += 1
    row.last_error = error[:1000]
    wait = BACKOFF[min(row.attempts, len(BACKOFF)) - 1]
    row.next_attempt_at = utcnow() + timedelta(seconds=wait)


def claim_due(session: Session, stale_after: float, limit: int = 5000) -> list[int]:
    """Pending mail whose send job may be lost, or whose backoff is over; claims it for
    ``stale_after`` seconds so the next sweep does not hand it out again."""
    now = utcnow()
    ids = list(
        session.scalars(
            sa.select(OutboundMessage.id)
            .where(
                OutboundMessage.state == "pending",
                sa.or_(
                    OutboundMessage.next_attempt_at < now,
                    sa.and_(
                        OutboundMessage.next_attempt_at.is_(None),
                        OutboundMessage.created_at < now - timedelta(seconds=stale_after),
                    ),
                ),
            )
            .order_by(OutboundMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
    )
    if ids:
        session.execute(
            sa.update(OutboundMessage)
            .where(OutboundMessage.id.in_(ids))
            .values(next_attempt_at=now + timedelta(seconds=stale_after))
        )
    return ids


def count_unsent(session: Session) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(OutboundMessage)
            .where(OutboundMessage.state == "pending")
        )
        or 0
    )

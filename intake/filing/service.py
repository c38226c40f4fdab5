"""Filing stored messages: each parsed, then handed down the filing chain (``chain.py``),
which makes it exactly one new request, follow-up, machine record or held message; what
cannot be read or keeps failing is parked with its error. Safe to run twice."""

from __future__ import annotations

import contextlib
import logging
import traceback
from collections.abc import Iterable, Iterator
from dataclasses import replace

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from intake import memo
from intake.db import utcnow
from intake.errors import NewContactWanted, UnparseableMail
from intake.filing import chain, suspect
from intake.filing.context import FilingContext
from intake.filing.history import history
from intake.filing.outcome import Outcome, settle
from intake.filing.reused import flag_reused_id
from intake.filing.threads import may_thread
from intake.mail.models import Attachment, Filing, InboundMessage
from intake.mail.parsing import InboundMail, parse
from intake.mail.store import raw_messages
from intake.settings import Settings

log = logging.getLogger(__name__)

# A reply may arrive in the same batch as the message it answers: file that one first,
# but never follow a chain of references deeper than this.
HEAD_BYTES = 256 * 1024  # the most of a too-large message's header block read
MAX_REFERENCE_DEPTH = 3


def file_batch(session: Session, settings: Settings, ids: Iterable[int]) -> list[Outcome]:
    """File each pending message in its own savepoint; one bad message never stops the rest.

    Database outages propagate (the job is retried); anything else about one message parks
    that message with its traceback.
    """
    outcomes: list[Outcome] = []
    for inbound_id in sorted(set(ids)):
        outcome: Outcome | None = None
        for attempt in (1, 2):
            try:
                with session.begin_nested():
                    outcome = file_message(session, settings, inbound_id)
                break
            except OperationalError:
                raise
            except IntegrityError:
                # Another worker created the same contact or thread at the same moment:
                # the second try sees its row.
                if attempt == 2:
                    outcome = _park(session, inbound_id, traceback.format_exc())
            except Exception:  # the filing runner: park the message, never drop it
                log.exception("inbound %s could not be filed; parked", inbound_id)
                outcome = _park(session, inbound_id, traceback.format_exc())
                break
        if outcome is not None:
            outcomes += outcome.with_earlier()
    return outcomes


def file_together(session: Session, settings: Settings, ids: Iterable[int]) -> list[Outcome]:
    """File these messages in the caller's transaction, all or none: no savepoint a
    message and one commit for the lot. Any error is raised, and the caller files them
    again one by one with :func:`file_batch`, which parks what fails.

    A message from a new contact raises NewContactWanted, naming that message: the
    contact's row would stay locked until the whole batch commits, and every other worker
    filing mail from that address would wait for it."""
    outcomes: list[Outcome] = []
    wanted = sorted(set(ids))
    # Every message of the job locked and read in one statement, in id order (held here:
    # the session keeps only weak references to rows it has not changed).
    rows = session.scalars(
        sa.select(InboundMessage)
        .where(InboundMessage.id.in_(wanted))
        .order_by(InboundMessage.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    raws = raw_messages(session, wanted)
    # Written at the end in one flush (a statement a table, not a few a message), except
    # before a message that may answer one filed here: see file_message. In id order, so
    # the earlier messages a reply files first are never ones still ahead in this loop.
    with session.no_autoflush, memo.remembering(session):
        for inbound in rows:
            try:
                outcome = file_message(
                    session,
                    settings,
                    inbound.id,
                    alone=False,
                    locked=True,
                    raw=raws.pop(inbound.id, None),
                )
            except NewContactWanted as exc:
                exc.inbound_id = inbound.id
                raise
            if outcome is not None:
                outcomes += outcome.with_earlier()
        session.flush()  # the outbox ids, for the caller to enqueue
    return outcomes


def _park(session: Session, inbound_id: int, error: str) -> Outcome | None:
    with session.begin_nested():
        inbound = session.get(InboundMessage, inbound_id)
        if inbound is None or inbound.filing is not Filing.PENDING:
            return None
        inbound.filing = Filing.FAILED
        inbound.error = error
        inbound.reason = error.strip().splitlines()[-1][:500]
        inbound.filed_at = utcnow()
    return Outcome(inbound_id, Filing.FAILED, reason=inbound.reason)


def file_message(
    session: Session,
    settings: Settings,
    inbound_id: int,
    depth: int = 0,
    *,
    alone: bool = True,
    locked: bool = False,
    raw: bytes | None = None,
) -> Outcome | None:
    """File one stored message, if nobody has yet, and first the messages it answers that
    are still pending (in :attr:`Outcome.earlier`). Safe to run twice. ``alone``: in a
    transaction of its own (see :func:`file_together` for the other case). ``locked``: the
    caller has locked and read its row in this transaction. ``raw``: its bytes, when the
    caller has read them (they are read here otherwise)."""
    if locked:
        inbound = session.get(InboundMessage, inbound_id)
    else:
        inbound = session.get(
            InboundMessage,
            inbound_id,
            with_for_update=True,
            populate_existing=True,
        )
    if inbound is None or inbound.filing is not Filing.PENDING:
        return None
    if inbound.attempts > settings.sweeper.max_attempts:
        # Counted before each try in a transaction of its own, so a worker that keeps
        # dying on this message (memory, a crash in a library) cannot loop forever.
        return settle(
            inbound,
            Filing.FAILED,
            None,
            f"gave up after {inbound.attempts - 1} attempts that did not finish",
        )
    if raw is None:
        # Read apart from the row, which filing updates: see RawMessage.
        raw = raw_messages(session, [inbound_id])[inbound_id]
    # The limit of the mailbox the message came in on: each [[mailbox]] sets its own.
    limit = settings.mailbox_named(inbound.mailbox).imap.max_message_bytes
    if len(raw) > limit:
        return _file_unread(session, settings, inbound, raw, limit, alone)
    try:
        mail = parse(raw, max_attachment_bytes=settings.max_attachment_bytes)
    except UnparseableMail as exc:
        return settle(inbound, Filing.FAILED, None, f"unreadable: {exc}")
    threading = not alone and may_thread(settings, mail)
    if threading:
        # Filed together with others, unflushed: a message that may answer one of them
        # looks it up, so what is pending is written first, and its filing flushes as it goes.
        session.flush()
    with _autoflush(session) if threading else contextlib.nullcontext():
        earlier: list[Outcome] = []
        if depth < MAX_REFERENCE_DEPTH:
            with session.no_autoflush:
                earlier = _file_earlier(session, settings, inbound, mail, depth, alone)
        outcome = _file_parsed(session, settings, inbound, mail, alone)
        if threading:
            # What it changed in an earlier request (an approval, a command) is written
            # now: the lookups of the messages after it do not flush first.
            session.flush()
    return replace(outcome, earlier=tuple(earlier)) if earlier else outcome


@contextlib.contextmanager
def _autoflush(session: Session) -> Iterator[None]:
    before = session.autoflush
    session.autoflush = True
    try:
        yield
    finally:
        session.autoflush = before


def _file_parsed(
    session: Session, settings: Settings, inbound: InboundMessage, mail: InboundMail, alone: bool
) -> Outcome:
    with session.no_autoflush:  # the parsed fields and the author: one UPDATE, not two
        _keep_parsed(session, inbound, mail, settings)
    ctx = FilingContext(session, settings, inbound, mail, alone)
    return flag_reused_id(ctx, chain.run(ctx))


def _file_unread(
    session: Session,
    settings: Settings,
    inbound: InboundMessage,
    raw: bytes,
    limit: int,
    alone: bool,
) -> Outcome:
    """A message too large to parse: only its header block is read (who, what, which
    thread), and it is held as it came."""
    ends = [i for i in (raw.find(b"\r\n\r\n"), raw.find(b"\n\n")) if i >= 0]
    head = raw[: min(ends, default=HEAD_BYTES)][:HEAD_BYTES]
    try:
        mail = parse(head + b"\r\n\r\n")
    except UnparseableMail as exc:
        return settle(inbound, Filing.FAILED, None, f"unreadable: {exc}")
    with session.no_autoflush:  # the header fields; no text, no attachments
        _keep_parsed(session, inbound, mail, settings)
    ctx = FilingContext(session, settings, inbound, mail, alone)
    return history(ctx) or suspect.too_large(ctx, limit)


def _keep_parsed(
    session: Session, inbound: InboundMessage, mail: InboundMail, settings: Settings
) -> None:
    inbound.from_address = mail.from_address[:320]
    inbound.subject = mail.subject
    inbound.sent_at = mail.date
    inbound.text = mail.text
    inbound.new_text = mail.new_text
    # Attachments are kept only by a filing that commits, and a filed message is never
    # filed again: a pending one has none stored, so there is nothing to load.
    set_committed_value(inbound, "attachments", [])
    limit_mb = settings.max_attachment_bytes / 1024 / 1024
    for part in mail.attachments:
        note = None
        if part.payload is None:
            note = (
                f"{part.filename} ({part.size / 1024 / 1024:.1f} MB) is over the "
                f"{limit_mb:.0f} MB attachment limit and was not kept"
            )
        inbound.attachments.append(
            Attachment(
                filename=part.filename,
                content_type=part.content_type[:255],
                size=part.size,
                content=part.payload,
                note=note,
            )
        )


def _file_earlier(
    session: Session,
    settings: Settings,
    inbound: InboundMessage,
    mail: InboundMail,
    depth: int,
    alone: bool,
) -> list[Outcome]:
    wanted = {*mail.in_reply_to, *mail.references}
    if not wanted:
        return []
    earlier = session.scalars(
        sa.select(InboundMessage.id)
        .where(
            InboundMessage.message_id.in_(wanted),
            InboundMessage.filing == Filing.PENDING,
            InboundMessage.id < inbound.id,
        )
        .order_by(InboundMessage.id)
    ).all()
    filed = (
        file_message(session, settings, earlier_id, depth + 1, alone=alone)
        for earlier_id in earlier
    )
    return [outcome for outcome in filed if outcome is not None]

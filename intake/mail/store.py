"""Storing raw mail before anything else happens to it, and the poller's cursor.

A message is stored once: unique on its Message-ID (or a content hash when it has none).
The same Message-ID on a different body is a different message, kept under a derived key.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from intake.db import utcnow
from intake.mail.models import Filing, InboundMessage, MailboxCursor, RawMessage
from intake.mail.parsing import content_digest, extract_message_id, message_key

# Rows a statement when storing a batch (eleven columns each).
INSERT_CHUNK = 500


@dataclass(frozen=True)
class Fetched:
    uid: int | None
    raw: bytes
    received_at: datetime | None = None  # when it reached the mailbox (IMAP INTERNALDATE)
    seen: bool = False  # flagged \Seen on the server when it was read
    history: bool = False  # filed as history: no reply, no clock (see is_history)


@dataclass(frozen=True)
class Cursor:
    uidvalidity: int
    last_uid: int
    history_until: int = 0


def is_history(item: Fetched, history_until: int, now: datetime, answer_within: float) -> bool:
    """Whether a message is history: in the folder when intake first read it (its UID at
    most ``history_until``) and either read by then or older than ``answer_within``
    seconds. History is stored and filed, and nobody is written to about it. Pure."""
    if item.uid is None or item.uid > history_until:
        return False
    if item.seen or item.received_at is None:
        return True
    return item.received_at < now - timedelta(seconds=answer_within)


def starting_point(cursor: Cursor | None, uidvalidity: int) -> tuple[int, int | None]:
    """Where reading goes on: the last UID stored and ``history_until``. On a folder's first
    reading (no cursor) ``history_until`` is None: the folder's last UID is to be asked.
    After a UIDVALIDITY change the folder is read again from the start, none of it history."""
    if cursor is None:
        return 0, None
    if cursor.uidvalidity != uidvalidity:
        return 0, 0
    return cursor.last_uid, cursor.history_until


def with_history(
    batch: Sequence[Fetched], history_until: int, now: datetime, answer_within: float
) -> list[Fetched]:
    """``batch`` with each message marked as history or not (see :func:`is_history`)."""
    return [
        replace(item, history=is_history(item, history_until, now, answer_within)) for item in batch
    ]


def read_cursor(session: Session, mailbox: str) -> Cursor | None:
    row = session.scalar(sa.select(MailboxCursor).where(MailboxCursor.mailbox == mailbox))
    return Cursor(row.uidvalidity, row.last_uid, row.history_until) if row is not None else None


def save_cursor(
    session: Session,
    mailbox: str,
    uidvalidity: int,
    last_uid: int,
    history_until: int | None = None,
) -> None:
    """Move the cursor; ``history_until`` is set once, on a folder's first reading."""
    row = session.scalar(sa.select(MailboxCursor).where(MailboxCursor.mailbox == mailbox))
    if row is None:
        row = MailboxCursor(mailbox=mailbox, uidvalidity=uidvalidity, last_uid=last_uid)
        session.add(row)
    row.uidvalidity = uidvalidity
    row.last_uid = last_uid
    if history_until is not None:
        row.history_until = history_until
    session.flush()


def store_raw(
    session: Session, mailbox: str, uidvalidity: int | None, batch: Sequence[Fetched]
) -> list[int]:
    """Insert the messages not stored yet; return the ids of the new rows, in order."""
    rows: dict[str, dict[str, object]] = {}
    raws: dict[str, bytes] = {}  # by message_key
    digests: dict[str, str] = {}
    for item in batch:
        mid = extract_message_id(item.raw)
        key = message_key(item.raw, mid)[:600]
        digest = content_digest(item.raw)
        if key in rows and digests[key] != digest:
            key = _apart(key, digest)
        if key in rows:
            continue  # the same message twice in one batch
        digests[key] = digest
        rows[key] = {
            "message_key": key,
            "message_id": mid[:998] if mid else None,
            "mailbox": mailbox,
            "uidvalidity": uidvalidity,
            "uid": item.uid,
            "size": len(item.raw),
            "stored_at": utcnow(),
            "received_at": item.received_at,
            "history": item.history,
            "filing": Filing.PENDING,
            "attempts": 0,
        }
        raws[key] = item.raw
    if not rows:
        return []
    new = _insert_new(session, list(rows.values()))
    clashes = [key for key in rows if key not in new]
    if clashes:
        existing = dict(
            session.execute(
                sa.select(InboundMessage.message_key, RawMessage.raw)
                .join(RawMessage, RawMessage.inbound_id == InboundMessage.id)
                .where(InboundMessage.message_key.in_(clashes))
            ).all()
        )
        retry = []
        for key in clashes:
            stored = existing.get(key)
            if stored is not None and content_digest(stored) != digests[key]:
                row = dict(rows[key])
                row["message_key"] = _apart(key, digests[key])
                raws[str(row["message_key"])] = raws[key]
                retry.append(row)
        if retry:
            new.update(_insert_new(session, retry))
    # The bytes beside their rows, in the same transaction: never one without the other.
    if new:
        session.execute(
            sa.insert(RawMessage),
            [{"inbound_id": id_, "raw": raws[key]} for key, id_ in new.items()],
        )
    return sorted(new.values())


def _apart(key: str, digest: str) -> str:
    """The key a message is stored under when another with other content has ``key``."""
    return f"{key}#{digest[:16]}"[:600]


def first_with_its_id(message_key: str) -> str | None:
    """The key of the message stored first with this one's Message-ID, when this one was
    stored apart from it for other content (see :func:`_apart`); else None."""
    key, apart, digest = message_key.rpartition("#")
    # A Message-ID may hold a "#" itself: only the digest _apart adds ends the key.
    stored_apart = apart and len(digest) == 16 and all(c in "0123456789abcdef" for c in digest)
    return key if stored_apart and key.startswith("mid:") else None


def _insert_new(session: Session, rows: list[dict[str, object]]) -> dict[str, int]:
    """INSERT .. ON CONFLICT DO NOTHING; returns key -> id of the rows really inserted."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(InboundMessage)
        .on_conflict_do_nothing(index_elements=["message_key"])
        .returning(InboundMessage.message_key, InboundMessage.id)
    )
    # Multi-row statements: RETURNING names the rows really inserted, by their key. In
    # chunks, to stay under the drivers' limits on parameters (SQLite: 32,766).
    inserted: dict[str, int] = {}
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = rows[start : start + INSERT_CHUNK]
        inserted.update((key, id_) for key, id_ in session.execute(stmt.values(chunk)))
    return inserted


def count_attempt(session: Session, ids: Sequence[int]) -> int | None:
    """Count a try of the first of these messages still pending, before it starts, in a
    transaction of its own so that a crash mid-try still counts; return its id.

    Only the first: a job files its messages in id order, so that one is surely tried. A
    message that keeps killing its worker (or failing its transaction) is first every time
    it comes back and reaches the limit; the messages behind it are not tried in those runs,
    and are not counted, so they are never given up on for another message's fault.
    """
    locked = _lock_pending(session, sa.select(InboundMessage.id).where(InboundMessage.id.in_(ids)))
    if not locked:
        return None
    first = locked[0]
    session.execute(
        sa.update(InboundMessage)
        .where(InboundMessage.id == first)
        .values(attempts=InboundMessage.attempts + 1)
    )
    return first


def _lock_pending(session: Session, query: sa.Select[int]) -> list[int]:
    """Lock pending rows in id order, skipping those another worker holds right now: one
    order everywhere keeps PostgreSQL free of deadlocks, and a held row is being worked on."""
    return list(
        session.scalars(
            query.where(InboundMessage.filing == Filing.PENDING)
            .order_by(InboundMessage.id)
            .with_for_update(skip_locked=True)
        )
    )


def mark_enqueued(session: Session, ids: Sequence[int]) -> None:
    if ids:
        session.execute(
            sa.update(InboundMessage).where(InboundMessage.id.in_(ids)).values(enqueued_at=utcnow())
        )


def claim_stale(session: Session, stale_after: float, limit: int = 5000) -> list[int]:
    """Pending messages whose job was never sent or seems lost; marks them enqueued now."""
    threshold = utcnow() - timedelta(seconds=stale_after)
    ids = _lock_pending(
        session,
        sa.select(InboundMessage.id)
        .where(
            sa.or_(
                InboundMessage.enqueued_at.is_(None),
                InboundMessage.enqueued_at < threshold,
            )
        )
        .limit(limit),
    )
    mark_enqueued(session, ids)
    return ids


def count_pending(session: Session) -> int:
    return int(
        session.scalar(
            sa.select(sa.func.count())
            .select_from(InboundMessage)
            .where(InboundMessage.filing == Filing.PENDING)
        )
        or 0
    )


def raw_messages(session: Session, ids: Sequence[int]) -> dict[int, bytes]:
    """The stored bytes of these messages, by id. On PostgreSQL read in binary: psycopg
    reads bytea as text otherwise, twice a message's size before it is decoded."""
    if not ids:
        return {}
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        driver = connection.connection.driver_connection
        assert driver is not None
        table = RawMessage.__tablename__
        with driver.cursor(binary=True) as cursor:
            cursor.execute(
                f"SELECT inbound_id, raw FROM {table} WHERE inbound_id = ANY(%s)", [list(ids)]
            )
            return {row[0]: bytes(row[1]) for row in cursor}
    rows = session.execute(
        sa.select(RawMessage.inbound_id, RawMessage.raw).where(RawMessage.inbound_id.in_(ids))
    )
    return {row_id: raw for row_id, raw in rows}

"""Mail as stored: every inbound message with its raw bytes, attachments, the mailbox
cursor and addresses that bounce."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.ext.associationproxy import AssociationProxy, association_proxy
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from intake.requests.models import Request


class Filing(enum.StrEnum):
    """What became of an inbound message; each stored message is in exactly one."""

    PENDING = "pending"  # stored, not yet filed
    REQUEST = "request"  # opened a new request
    FOLLOW_UP = "follow_up"  # added to an existing request
    MACHINE = "machine"  # written by a machine: recorded, never answered
    HELD = "held"  # waiting for staff triage
    COMMAND = "command"  # a client's STATUS, HOURS or STATEMENT: answered, no request
    FAILED = "failed"  # could not be read; parked with its error


def _filing() -> sa.Enum:
    return sa.Enum(
        Filing,
        native_enum=False,
        length=16,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class InboundMessage(Base):
    __tablename__ = "inbound_messages"
    __table_args__ = (sa.Index("ix_inbound_messages_filing_id", "filing", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Unique storage key: the Message-ID, or a content hash when there is none.
    message_key: Mapped[str] = mapped_column(sa.String(600), unique=True)
    message_id: Mapped[str | None] = mapped_column(sa.String(998), index=True)
    mailbox: Mapped[str] = mapped_column(sa.String(400))
    uidvalidity: Mapped[int | None] = mapped_column(sa.BigInteger)
    uid: Mapped[int | None] = mapped_column(sa.BigInteger)
    size: Mapped[int] = mapped_column(sa.Integer)
    stored_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # When the mail server received it (IMAP INTERNALDATE): a request's clocks start here.
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    filing: Mapped[Filing] = mapped_column(_filing(), default=Filing.PENDING)
    filed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    # In the folder before intake first read it, and read or old by then: filed without
    # a reply to anyone or an SLA clock (see workers.poller).
    history: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    enqueued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Why it was held, what machine wrote it, or the error that parked it.
    reason: Mapped[str | None] = mapped_column(sa.Text)
    error: Mapped[str | None] = mapped_column(sa.Text)
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="SET NULL"), index=True
    )
    # Parsed once filed, for listings and threading.
    from_address: Mapped[str | None] = mapped_column(sa.String(320))
    subject: Mapped[str | None] = mapped_column(sa.Text)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    text: Mapped[str | None] = mapped_column(sa.Text)
    new_text: Mapped[str | None] = mapped_column(sa.Text)
    author: Mapped[str | None] = mapped_column(sa.String(16))  # staff | contact | unknown

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="inbound", cascade="all, delete-orphan", order_by="Attachment.id"
    )
    # The bytes as they came, in a table filing never writes to (see RawMessage); read
    # here only where one message is looked at, filing reads them with raw_messages().
    as_stored: Mapped[RawMessage] = relationship(cascade="all, delete-orphan")
    raw: AssociationProxy[bytes] = association_proxy(
        "as_stored", "raw", creator=lambda raw: RawMessage(raw=raw)
    )
    # Set, not read: a filing links a request it has not flushed yet, and one flush at the
    # end writes the request, its events, quote and emails together.
    request: Mapped[Request | None] = relationship()


class RawMessage(Base):
    """An inbound message's bytes, stored once and never updated. Apart from the row that
    filing updates: SQLite writes a row whole, so a message's bytes in it would be read
    and written again with every change of its filing."""

    __tablename__ = "inbound_raw"

    inbound_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="CASCADE"), primary_key=True
    )
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)


class Attachment(Base):
    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    inbound_id: Mapped[int] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="CASCADE"), index=True
    )
    filename: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    # None when over max_attachment_bytes: the note says so.
    content: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    note: Mapped[str | None] = mapped_column(sa.Text)

    inbound: Mapped[InboundMessage] = relationship(back_populates="attachments")


class MailboxCursor(Base):
    """How far the poller has read one mailbox: UIDVALIDITY plus the last UID stored."""

    __tablename__ = "mailbox_cursors"

    id: Mapped[int] = mapped_column(primary_key=True)
    mailbox: Mapped[str] = mapped_column(sa.String(400), unique=True)
    uidvalidity: Mapped[int] = mapped_column(sa.BigInteger)
    last_uid: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    # The last UID in the folder when intake first read it: mail up to it that was read,
    # or older than imap.answer_existing_within, is history.
    history_until: Mapped[int] = mapped_column(sa.BigInteger, default=0, server_default="0")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class AddressFlag(Base):
    """An address our mail bounced from, so staff see it and replies can avoid it."""

    __tablename__ = "address_flags"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    reason: Mapped[str] = mapped_column(sa.Text)
    inbound_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SpamSender(Base):
    """An address staff marked as spam (#spam): its later new mail is held without a
    notice, and never answered."""

    __tablename__ = "spam_senders"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    flagged_by: Mapped[str] = mapped_column(sa.String(320))
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="SET NULL")
    )
    flagged_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MailboxLogin(Base):
    """One OAuth2 account a mailbox logs in with (``provider:address``): its refresh token
    when the database keeps it (Fernet-encrypted with ``oauth2.token_key``; never in the
    clear), and since when the provider refuses it, so staff are told once, not per poll."""

    __tablename__ = "mailbox_logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    account: Mapped[str] = mapped_column(sa.String(400), unique=True)
    refresh_token: Mapped[bytes | None] = mapped_column(sa.LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    refused_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

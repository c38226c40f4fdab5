"""The outbox as stored: every email intake writes, rendered, with the change that caused it."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, UTCDateTime, utcnow

if TYPE_CHECKING:
    from intake.requests.models import Request


class OutboundMessage(Base):
    """The outbox: a rendered message stored with the change that caused it."""

    __tablename__ = "outbound_messages"
    __table_args__ = (
        sa.Index("ix_outbound_messages_state_id", "state", "id"),
        sa.Index("ix_outbound_messages_recipient_key_created_at", "recipient_key", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(sa.String(998), unique=True)
    request_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str] = mapped_column(sa.String(64))
    recipients: Mapped[list[str]] = mapped_column(sa.JSON)
    # The client address an automatic reply went to, for the per-address rate limit.
    recipient_key: Mapped[str | None] = mapped_column(sa.String(320))
    # The message this one answers, if any.
    inbound_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    subject: Mapped[str] = mapped_column(sa.Text)
    raw: Mapped[bytes] = mapped_column(sa.LargeBinary)
    automatic: Mapped[bool] = mapped_column(default=True)
    state: Mapped[str] = mapped_column(sa.String(16), default="pending")  # pending|sent|failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    # When the sweeper may hand it to a worker again (backoff after a deferral).
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    request: Mapped[Request | None] = relationship()

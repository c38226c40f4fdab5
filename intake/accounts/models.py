"""What account management has done, so it is done once: the months advised on, the
advice and introductions each client was sent, the check-ins held and reminded of."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UTCDateTime, utcnow


class AdviceRun(Base):
    """A month after whose statements the plan advice went out: it is not given again."""

    __tablename__ = "advice_runs"

    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class AdviceSent(Base):
    """An email of account management a client got: the plan advice (``key``: the quarter,
    "2026-Q4", so at most one a quarter) or the introduction to the plans (``key`` "": once)."""

    __tablename__ = "advice_sent"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "kind", "key", name="uq_advice_sent_client_kind_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))  # advice | introduction
    key: Mapped[str] = mapped_column(sa.String(10))
    outbound_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbound_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Checkin(Base):
    """A check-in held with a client (the plan's strategy call or planning session), as
    staff recorded it: the next is due a cadence after ``held_on``."""

    __tablename__ = "checkins"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    held_on: Mapped[date] = mapped_column(sa.Date)
    recorded_by: Mapped[str] = mapped_column(sa.String(320))
    # The staff reply that recorded it.
    inbound_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CheckinReminder(Base):
    """Staff were reminded of a client's check-in due on ``due_on``: once per due date."""

    __tablename__ = "checkin_reminders"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "due_on", name="uq_checkin_reminders_client_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"))
    due_on: Mapped[date] = mapped_column(sa.Date)
    outbound_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbound_messages.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

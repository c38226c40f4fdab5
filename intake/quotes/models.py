"""Quotes: the cost and timeline a client is offered for a request, and its approval."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, Hours, Money, UTCDateTime, utcnow

if TYPE_CHECKING:
    from intake.requests.models import Request


class Quote(Base):
    __tablename__ = "quotes"
    __table_args__ = (
        sa.UniqueConstraint("request_id", "version", name="uq_quotes_request_version"),
        sa.Index("uq_quotes_sow_number", "sow_number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    version: Mapped[int] = mapped_column(default=1)
    hours: Mapped[Decimal] = mapped_column(Hours)
    # Hours beyond the plan's included hours, at the rate: what approval covers.
    chargeable_hours: Mapped[Decimal] = mapped_column(Hours)
    rate: Mapped[Decimal] = mapped_column(Money)
    amount: Mapped[Decimal] = mapped_column(Money)
    start_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    complete_by: Mapped[date | None] = mapped_column(sa.Date)
    # pending | approved | declined | superseded | included (no charge, no approval needed)
    status: Mapped[str] = mapped_column(sa.String(16), default="pending")
    # The per-quote token for plus-addressed replies (support+<token>@...).
    token: Mapped[str] = mapped_column(sa.String(32), unique=True)
    approved_by: Mapped[str | None] = mapped_column(sa.String(320))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    po: Mapped[str | None] = mapped_column(sa.String(64))
    created_by: Mapped[str] = mapped_column(sa.String(320), default="intake")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Its statement of work, for a client who wants one: numbered when first sent.
    sow_number: Mapped[str | None] = mapped_column(sa.String(40))
    # The message whose filing made it (a client's request, a staff #quote).
    inbound_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )

    request: Mapped[Request] = relationship()

"""What account management has done, so it is done once: the months advised on, and the
advice and introductions each client was sent."""

from __future__ import annotations

from datetime import datetime

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

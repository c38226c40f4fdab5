"""What the SLA checks have already said: each warning and breach notice is sent once."""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from intake.db import Base, UTCDateTime, utcnow


class SlaAlert(Base):
    __tablename__ = "sla_alerts"
    __table_args__ = (
        sa.UniqueConstraint(
            "request_id", "clock", "level", name="uq_sla_alerts_request_clock_level"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    clock: Mapped[str] = mapped_column(sa.String(16))  # first_response | resolution
    level: Mapped[str] = mapped_column(sa.String(8))  # warning | breach
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Digest(Base):
    """One daily digest to staff per local day of the agency."""

    __tablename__ = "digests"

    day: Mapped[date] = mapped_column(sa.Date, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

"""Requests, the events that record every change of one, the hours staff log on them,
and the reference counter."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, Hours, UTCDateTime, utcnow
from intake.requests.states import RequestType, Severity, Status

if TYPE_CHECKING:
    from intake.clients.models import Client


def _enum(kind: type[Any]) -> sa.Enum:
    return sa.Enum(
        kind,
        native_enum=False,
        length=24,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


class Request(Base):
    __tablename__ = "requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(unique=True)
    client_id: Mapped[int | None] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    contact_email: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.Text, default="")
    type: Mapped[RequestType | None] = mapped_column(_enum(RequestType))
    severity: Mapped[Severity | None] = mapped_column(_enum(Severity))
    status: Mapped[Status] = mapped_column(_enum(Status), default=Status.NEW, index=True)
    # The staff member who owns it (their address), None while nobody does.
    owner: Mapped[str | None] = mapped_column(sa.String(320), index=True)
    # Why the request is held, for staff triage.
    hold_reason: Mapped[str | None] = mapped_column(sa.Text)
    # Classification detail (confidence, the rules that decided), for staff.
    classification: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The first reply from a person the client saw: it stops the first-response clock.
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    client: Mapped[Client | None] = relationship()
    events: Mapped[list[Event]] = relationship(
        back_populates="request", order_by="Event.id", cascade="all, delete-orphan"
    )

    @property
    def ref(self) -> str:
        return f"REQ-{self.number}"


class Event(Base):
    """One change to a request: who, what, from which message."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    actor: Mapped[str] = mapped_column(sa.String(320))
    kind: Mapped[str] = mapped_column(sa.String(32))
    from_status: Mapped[Status | None] = mapped_column(_enum(Status))
    to_status: Mapped[Status | None] = mapped_column(_enum(Status))
    detail: Mapped[str] = mapped_column(sa.Text, default="")
    inbound_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )

    request: Mapped[Request] = relationship(back_populates="events")


class Counter(Base):
    """Numbering: requests on SQLite (PostgreSQL uses the request_numbers sequence) and
    statements of work ("sow", gap-free on both)."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(sa.String(32), primary_key=True)
    value: Mapped[int] = mapped_column(sa.BigInteger, default=0)


class TimeEntry(Base):
    """Hours a staff member logged on a request (#log); a statement accounts for each once."""

    __tablename__ = "time_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    staff_email: Mapped[str] = mapped_column(sa.String(320))
    hours: Mapped[Decimal] = mapped_column(Hours)
    work_date: Mapped[date] = mapped_column(sa.Date, index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    inbound_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("inbound_messages.id", ondelete="SET NULL")
    )
    # Set when a statement has accounted for this entry: never billed twice.
    statement_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("statements.id", ondelete="RESTRICT"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

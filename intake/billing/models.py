"""Monthly statements, their lines and the billing runs that made them."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, Hours, Money, UTCDateTime, utcnow


class Statement(Base):
    """A client's statement of a month: an invoice, numbered when it is made. ``total`` is
    the sum of its lines (net); the tax is on top of it."""

    __tablename__ = "statements"
    __table_args__ = (
        sa.UniqueConstraint("client_id", "period", name="uq_statements_client_period"),
        sa.Index("uq_statements_number", "number", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id"), index=True)
    period: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    total: Mapped[Decimal] = mapped_column(Money)
    # The invoice: None on statements made before invoices were numbered.
    number: Mapped[str | None] = mapped_column(sa.String(40))
    issued_on: Mapped[date | None] = mapped_column(sa.Date)
    due_on: Mapped[date | None] = mapped_column(sa.Date)
    currency: Mapped[str | None] = mapped_column(sa.String(3))
    tax_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))  # percent
    tax: Mapped[Decimal] = mapped_column(Money, default=Decimal("0"), server_default="0")
    reverse_charge: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The Message-ID of the email that last carried it (first sending or a resend).
    message_id: Mapped[str | None] = mapped_column(sa.String(998), index=True)

    lines: Mapped[list[StatementLine]] = relationship(
        cascade="all, delete-orphan", order_by="StatementLine.position"
    )

    @property
    def gross(self) -> Decimal:
        """What the client pays: the lines and the tax on them."""
        return self.total + (self.tax or Decimal("0.00"))


class InvoiceNumber(Base):
    """The last invoice number given (one row): raised in the transaction that stores a
    statement, so a run that fails half-way gives its numbers back and none is skipped."""

    __tablename__ = "invoice_numbers"

    id: Mapped[int] = mapped_column(primary_key=True)
    last: Mapped[int]


class BillingRun(Base):
    """A month whose statements have all been made: the scheduler does not bill it again."""

    __tablename__ = "billing_runs"

    period: Mapped[str] = mapped_column(sa.String(7), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StatementLine(Base):
    __tablename__ = "statement_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[int] = mapped_column(
        sa.ForeignKey("statements.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int]
    # fee | included | charged | not_charged
    kind: Mapped[str] = mapped_column(sa.String(16))
    description: Mapped[str] = mapped_column(sa.Text)
    request_id: Mapped[int | None] = mapped_column(sa.ForeignKey("requests.id"))
    hours: Mapped[Decimal | None] = mapped_column(Hours)
    amount: Mapped[Decimal] = mapped_column(Money)
    # The month the hours were worked (YYYY-MM): the statement's own, or an earlier one for
    # hours logged late (an adjustment).
    work_month: Mapped[str | None] = mapped_column(sa.String(7))
    # Hours of this line taken from that month's included hours (feature work under a plan).
    pool_hours: Mapped[Decimal] = mapped_column(Hours, default=Decimal("0"))

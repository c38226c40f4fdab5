"""Clients of the agency, their mail domains and their contacts."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from intake.db import Base, Money, UTCDateTime, utcnow

# The longest contact name kept: names learnt from mail are cut to it.
CONTACT_NAME = 200


class Client(Base):
    __tablename__ = "clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(sa.String(64), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    plan: Mapped[str] = mapped_column(sa.String(64), default="none")
    timezone: Mapped[str] = mapped_column(sa.String(64), default="UTC")
    country: Mapped[str | None] = mapped_column(sa.String(8))
    requires_po: Mapped[bool] = mapped_column(default=False)
    since: Mapped[date | None] = mapped_column(sa.Date)
    billing_emails: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    hourly_rate: Mapped[Decimal | None] = mapped_column(Money)
    # For the invoice: where it is addressed, the client's tax ID, and either the tax rate
    # (percent) charged on top or the EU reverse charge (the client accounts for the VAT).
    billing_address: Mapped[str | None] = mapped_column(sa.Text)
    tax_id: Mapped[str | None] = mapped_column(sa.String(64))
    tax_rate: Mapped[Decimal | None] = mapped_column(sa.Numeric(5, 2))
    reverse_charge: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    language: Mapped[str] = mapped_column(sa.String(8), default="en", server_default="en")
    # Each quote also as a numbered statement-of-work PDF.
    statement_of_work: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    domains: Mapped[list[ClientDomain]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="ClientDomain.domain"
    )
    contacts: Mapped[list[Contact]] = relationship(
        back_populates="client", cascade="all, delete-orphan", order_by="Contact.email"
    )
    plans: Mapped[list[ClientPlan]] = relationship(
        back_populates="client",
        cascade="all, delete-orphan",
        order_by="(ClientPlan.effective_from, ClientPlan.id)",
    )

    def plan_on(self, day: date) -> str:
        """The plan in force on ``day``: the last change made by then; the first plan the
        client had before any change (a client's first plan holds from the start)."""
        current = self.plans[0].plan if self.plans else self.plan
        for change in self.plans:
            if change.effective_from <= day:
                current = change.plan
        return current


class ClientPlan(Base):
    """A client's plan from a day on: one row when the client is created (from the start:
    ``date.min``), and one each time an import changes the plan (from the day it did)."""

    __tablename__ = "client_plans"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    plan: Mapped[str] = mapped_column(sa.String(64))
    effective_from: Mapped[date] = mapped_column(sa.Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="plans")


class ClientDomain(Base):
    __tablename__ = "client_domains"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("clients.id", ondelete="CASCADE"))
    domain: Mapped[str] = mapped_column(sa.String(255), unique=True)

    client: Mapped[Client] = relationship(back_populates="domains")


class Contact(Base):
    __tablename__ = "contacts"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(
        sa.ForeignKey("clients.id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(sa.String(320), unique=True)
    name: Mapped[str] = mapped_column(sa.String(CONTACT_NAME), default="")
    can_approve: Mapped[bool] = mapped_column(default=False)
    # "import" for contacts from clients.toml, "mail" for those learnt from mail.
    source: Mapped[str] = mapped_column(sa.String(16), default="import")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(back_populates="contacts")

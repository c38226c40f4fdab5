"""What tests build on: the example clients, the shipped price sheet, and requests with their
quotes and hours.

The clients and plans are the files a new agency starts from (config/clients.example.toml,
config/plans.toml), so a test reads them as intake does; a request is one row with the next
number, for tests that start past the mail that would have opened it.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.clients.models import Client
from intake.clients.service import ClientSpec, import_clients, read_clients_file
from intake.plans import PriceSheet, load_plans
from intake.quotes.models import Quote
from intake.requests.models import Request, TimeEntry
from intake.requests.states import RequestType, Severity, Status

ROOT = Path(__file__).parents[1]
CLIENTS_FILE = ROOT / "config" / "clients.example.toml"
PLANS_FILE = ROOT / "config" / "plans.toml"
SHEET: PriceSheet = load_plans(PLANS_FILE)
PLANS = frozenset(SHEET.plans)  # the plan names a clients file may use


def example_clients(path: Path = CLIENTS_FILE) -> list[ClientSpec]:
    """The clients of a clients file (the example one unless told), checked against the plans."""
    return read_clients_file(path, PLANS)


def add_example_clients(session: Session) -> None:
    """Acme, Globex, Zed and the rest of the example file, with their contacts."""
    import_clients(session, example_clients())


def client(session: Session, slug: str) -> Client:
    found = session.scalar(sa.select(Client).where(Client.slug == slug))
    assert found is not None, f"no client {slug!r}: add_example_clients first"
    return found


def add_request(
    session: Session,
    slug: str = "acme",
    subject: str = "The checkout page shows an error",
    *,
    contact: str = "alice@acme.example",
    type: RequestType = RequestType.BUG,
    severity: Severity = Severity.MINOR,
    status: Status = Status.IN_PROGRESS,
    **fields: Any,
) -> Request:
    """A request of ``slug``'s with the next number (1001 first), already classified."""
    count = session.scalar(sa.select(sa.func.count()).select_from(Request)) or 0
    request = Request(
        number=1001 + count,
        client=client(session, slug),
        contact_email=contact,
        subject=subject,
        type=type,
        severity=severity,
        status=status,
        **fields,
    )
    session.add(request)
    session.flush()
    return request


def work(
    session,
    slug: str,
    subject: str,
    kind: str,
    *,
    quoted: str | None = None,
    chargeable: str = "0",
    approved: bool = True,
    logged: tuple[tuple[str, date], ...] = (),
) -> Request:
    """A request of ``slug``'s with its quote and the hours logged on it."""
    request = add_request(
        session, slug, subject, contact="someone@example.com", type=RequestType(kind)
    )
    if quoted is not None:
        hours, charged = Decimal(quoted), Decimal(chargeable)
        session.add(
            Quote(
                request_id=request.id,
                hours=hours,
                chargeable_hours=charged,
                rate=Decimal("150.00"),
                amount=(charged * 150).quantize(Decimal("0.01")),
                status="approved" if approved else "pending",
                token=f"t{request.number}",
            )
        )
    for spent, day in logged:
        session.add(
            TimeEntry(
                request_id=request.id,
                staff_email="dana@agency.example",
                hours=Decimal(spent),
                work_date=day,
            )
        )
    session.flush()
    return request


def october_work(session) -> None:
    """The worked example of the billing rules."""
    work(
        session,
        "acme",
        "CSV export",
        "feature",
        quoted="6",
        chargeable="1",
        logged=(("3", date(2026, 10, 5)), ("4", date(2026, 10, 12))),
    )
    work(session, "acme", "Checkout broken", "bug", quoted="2", logged=(("2", date(2026, 10, 7)),))
    work(
        session,
        "zed",
        "How do I export?",
        "question",
        quoted="2",
        chargeable="2",
        logged=(("1.5", date(2026, 10, 20)),),
    )

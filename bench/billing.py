"""Billing a month at scale on PostgreSQL: 1,000 clients, 5,000 requests with quotes and
50,000 time entries. Times computing and storing every statement, rendering each email
with its CSV and PDF and queueing it in the outbox, in one run as `intake bill` does it
(sending is the workers' job and not timed). Prints the yardstick (how fast the machine is
this hour), the time and the peak RSS.

    python -m bench.billing [--clients 1000] [--requests 5000] [--entries 50000]
"""

from __future__ import annotations

import argparse
import multiprocessing
import random
import resource
import time
from datetime import date
from decimal import Decimal

import sqlalchemy as sa

from bench.common import fresh_postgres, yardstick
from intake.billing import service as billing
from intake.billing.models import Statement
from intake.billing.statement import Period
from intake.clients.models import Client
from intake.db import make_engine, session_factory, transaction
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Request, TimeEntry
from intake.settings import load_settings

PLANS = ("none", "basic", "professional", "premium")
TYPES = ("bug", "feature", "security", "question")
OCTOBER = Period(2026, 10)


def seed(url: str, clients: int, requests: int, entries: int) -> None:
    """Bulk inserts: the data a busy agency would have at the end of a month."""
    rng = random.Random(5)
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(
            sa.insert(Client),
            [
                {
                    "id": n,
                    "slug": f"client-{n}",
                    "name": f"Client {n} Ltd",
                    "plan": PLANS[n % 4],
                    "timezone": "Europe/London",
                    "since": date(2026, 1, 1),
                    "billing_emails": [f"accounts@client-{n}.example"],
                }
                for n in range(1, clients + 1)
            ],
        )
        conn.execute(
            sa.insert(Request),
            [
                {
                    "id": n,
                    "number": 1000 + n,
                    "client_id": 1 + n % clients,
                    "contact_email": "someone@example.com",
                    "subject": f"Request {n}",
                    "type": TYPES[n % 4],
                    "severity": "minor",
                    "status": "in_progress",
                }
                for n in range(1, requests + 1)
            ],
        )
        conn.execute(
            sa.insert(Quote),
            [
                {
                    "request_id": n,
                    "version": 1,
                    "hours": Decimal(rng.randint(2, 20)),
                    "chargeable_hours": Decimal(rng.randint(0, 12)),
                    "rate": Decimal("150.00"),
                    "amount": Decimal("0.00"),
                    "status": "approved" if rng.random() < 0.7 else "pending",
                    "token": f"bench{n}",
                }
                for n in range(1, requests + 1)
            ],
        )
        conn.execute(
            sa.insert(TimeEntry),
            [
                {
                    "request_id": rng.randint(1, requests),
                    "staff_email": "dana@agency.example",
                    "hours": Decimal(rng.choice(("0.25", "0.5", "1", "1.5", "2", "3"))),
                    "work_date": date(2026, 10, rng.randint(1, 31)),
                    "note": "",
                }
                for _ in range(entries)
            ],
        )
    engine.dispose()


def run(clients: int, requests: int, entries: int) -> dict[str, float]:
    url = fresh_postgres("intake_bench_billing", clients=False)
    # Seeded in a child process, so this one's peak RSS is the billing run's alone.
    seeding = multiprocessing.get_context("spawn").Process(
        target=seed, args=(url, clients, requests, entries)
    )
    seeding.start()
    seeding.join()
    if seeding.exitcode != 0:
        raise SystemExit(f"seeding the database failed (exit code {seeding.exitcode})")
    settings = load_settings(None, database_url=url, staff=[{"email": "dana@agency.example"}])
    engine = make_engine(url)
    factory = session_factory(engine)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    with transaction(factory) as session:
        results = billing.bill(session, settings, OCTOBER)
        billing.staff_summary(session, settings, OCTOBER, results)
    elapsed = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with transaction(factory) as session:
        statements = session.scalar(sa.select(sa.func.count()).select_from(Statement))
        queued = session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage))
        unbilled = session.scalar(
            sa.select(sa.func.count()).where(TimeEntry.statement_id.is_(None))
        )
    engine.dispose()
    return {
        "seconds": elapsed,
        "statements": float(statements or 0),
        "emails": float(queued or 0),
        "unbilled": float(unbilled or 0),
        "peak_rss_mb": peak / 1024,
        "rss_before_mb": before / 1024,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--entries", type=int, default=50_000)
    args = parser.parse_args()
    figures = run(args.clients, args.requests, args.entries)
    print(yardstick())  # after the run: its parsing would raise the peak RSS measured
    print(
        f"billed {args.clients} clients, {args.requests} requests, {args.entries} time entries "
        f"(2026-10) on PostgreSQL in {figures['seconds']:.1f} s: "
        f"{figures['statements']:.0f} statements stored, {figures['emails']:.0f} emails "
        f"(statement + CSV + PDF, and the staff summary) queued, "
        f"{figures['unbilled']:.0f} entries left unbilled; "
        f"peak RSS {figures['peak_rss_mb']:.0f} MB "
        f"(before the run {figures['rss_before_mb']:.0f} MB)"
    )


if __name__ == "__main__":
    main()

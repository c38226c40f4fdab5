"""`intake demo`: the embedded default, no setup. SQLite, the in-process queue, pymap and an
aiosmtpd sink on loopback, and the sample mailbox shipped with intake, run through the
whole pipeline with `run --once`, then a report of what became of each message."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from intake.accounts import advice
from intake.billing import service as billing
from intake.billing.documents import statement_pdf
from intake.billing.statement import Period
from intake.cli.common import counted
from intake.clients.service import import_clients, read_clients_file
from intake.db import make_engine, session_factory, transaction, upgrade, utcnow
from intake.demo.answers import LATER, written_now
from intake.demo.report import inbound_report, outbox_report, statement_report
from intake.demo.servers import EmbeddedImap, EmbeddedSmtp
from intake.outbox import delivery
from intake.plans import load_plans
from intake.settings import Settings, load_settings
from workers import runner

DEMO = Path(__file__).resolve().parent.parent / "intake" / "demo"
MAILBOX = DEMO / "mailbox"
CLIENTS = DEMO / "clients.toml"
STAFF = [{"email": "dana@agency.example", "name": "Dana", "lead": True}]
# The month of the sample mailbox: the demo bills it as `intake bill` would on the 1st after.
SAMPLE_MONTH = Period(2026, 11)


def run_demo(folder: Path | None = None) -> str:
    folder = Path(folder or tempfile.mkdtemp(prefix="intake-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    database_url = f"sqlite:///{folder / 'intake-demo.db'}"
    logging.getLogger().setLevel(logging.WARNING)
    with EmbeddedImap(MAILBOX, later=LATER) as imap, EmbeddedSmtp() as smtp:
        settings = load_settings(
            None,
            database_url=database_url,
            redis_url="",
            staff=STAFF,
            imap={
                "host": imap.host,
                "port": imap.port,
                "security": "none",
                "username": imap.username,
                "password": imap.password,
            },
            smtp={"host": smtp.host, "port": smtp.port, "security": "none"},
            sweeper={"stale_after": 5.0},
            # The sample mailbox was received by the agency's mx1.
            authentication={"required": True, "authserv_id": "mx1.agency.example"},
        )
        engine = make_engine(database_url)
        upgrade(engine)
        plans = frozenset(load_plans(settings.plans_file).plans)
        factory = session_factory(engine)
        with transaction(factory) as session:
            import_clients(session, read_clients_file(CLIENTS, plans))
        stored = runner.run_once(settings, timeout=300, engine=engine)
        # Then the answers to what intake sent, as their authors write them now.
        domain = settings.support_address.rpartition("@")[2]
        with transaction(factory) as session:
            later = [
                written_now(session, (MAILBOX / name).read_bytes(), domain, utcnow())
                for name in sorted(LATER)
            ]
        imap.append(later)
        stored += runner.run_once(settings, timeout=300, engine=engine)
        with transaction(factory) as session:
            lines = [*inbound_report(session), "", *outbox_report(session)]
        statements = _bill(factory, settings, folder / "statements")
        statements += ["", *_advise(factory, settings)]
        sent = len(smtp.messages)
    header = [
        f"intake demo: {counted(stored, 'message')} from the sample mailbox "
        f"({len(list(MAILBOX.glob('*.eml')))} files) filed",
        f"database: {database_url}",
        "",
    ]
    footer = [
        "",
        *statements,
        "",
        f"{sent} emails sent to the SMTP sink.",
        f"Look closer: INTAKE_DATABASE_URL={database_url} intake requests list",
    ]
    return "\n".join(header + lines + footer)


def _bill(factory: sessionmaker[Session], settings: Settings, folder: Path) -> list[str]:
    """The sample clients' statements for the sample month, stored and sent, and each one's
    PDF, as its email carries it, written to ``folder`` to be opened."""
    with transaction(factory) as session:
        results = billing.bill(session, settings, SAMPLE_MONTH)
        ids = [i for r in results for i in r.outbound_ids]
        summary = billing.staff_summary(session, settings, SAMPLE_MONTH, results)
        if summary is not None:
            ids.append(summary.id)
        read = billing.statements_as_read(session, settings, SAMPLE_MONTH)
    delivery.deliver(factory, settings, ids)
    folder.mkdir(parents=True, exist_ok=True)
    pdfs = {slug: folder / f"{slug}-{SAMPLE_MONTH.label}.pdf" for slug in read}
    for slug, path in pdfs.items():
        path.write_bytes(statement_pdf(read[slug]))
    return statement_report(results, read, pdfs)


def _advise(factory: sessionmaker[Session], settings: Settings) -> list[str]:
    """The plan advice staff get after the sample month's statements, sent."""
    today = SAMPLE_MONTH.next().first_day
    with transaction(factory) as session:
        flagged = [a for a in advice.advise(session, settings, SAMPLE_MONTH) if a.flagged]
        ids = [m.id for m in advice.give_advice(session, settings, SAMPLE_MONTH, today)]
    delivery.deliver(factory, settings, ids)
    periods = advice.window(SAMPLE_MONTH, settings.advice.months)
    if not flagged:
        return [f"Plan advice for {advice.span(periods)}: no change to advise."]
    currency = settings.billing.currency
    return [
        f"Plan advice for {advice.span(periods)}, emailed to staff:",
        *(f"  {a.line(currency)}" for a in flagged),
    ]

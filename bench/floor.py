"""The floor under the ingest figure: what the parts intake must use cost for the ingest
mix with no database, no queue and no IMAP at all. Each message is parsed (mail-parser,
reply stripping, HTML to text), classified, answered with a quote and a staff notice
(Jinja2, text and HTML), composed, and sent over smtplib to the aiosmtpd sink the
benchmarks use, one reply and every other staff notice (the mix sends ~1.5 emails a
message). Prints CPU milliseconds a message for each part, the sink's included, and the
most messages a second two cores could file if nothing else cost anything.

    python -m bench.floor [--messages 2000]
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal

from bench.common import mixed_mail, yardstick
from intake import catalogue
from intake.classification.rules import classify, load_rules
from intake.db import utcnow
from intake.errors import UnparseableMail
from intake.mail.parsing import parse
from intake.outbox.compose import Envelope, compose, new_message_id
from intake.outbox.smtp import Parcel, SmtpConnection
from intake.outbox.templates import render
from intake.settings import load_settings
from tests.servers.smtp import SmtpSink

SUPPORT = "support@agency.example"
COMMON = {"agency_name": "Example Agency", "support_address": SUPPORT, "ref": "REQ-1001"}
QUOTE = {
    **COMMON,
    "contact_name": "alice",
    "type": "feature",
    "severity": "minor",
    "hours": Decimal("4"),
    "included_hours": Decimal("2"),
    "chargeable_hours": Decimal("2"),
    "rate": Decimal("150.00"),
    "amount": Decimal("300.00"),
    "plan_name": "Professional",
    "requires_po": False,
    "start_by": "Wed 2 Dec 2026, 13:00 (Europe/Berlin)",
    "complete_by": "Fri 4 Dec 2026",
    "no_charge_reason": "",
}
NOTICE = {
    **COMMON,
    "contact": "alice@acme.example",
    "client_name": "Acme",
    "client_slug": "acme",
    "plan_name": "Professional",
    "type": "feature",
    "severity": "minor",
    "type_confidence": 78,
    "severity_confidence": 56,
    "type_rules": 'subject "could you add" (+6.0)',
    "severity_rules": "default minor (+1.5)",
    "low_confidence": False,
    "hours": Decimal("4"),
    "amount": Decimal("300.00"),
    "needs_approval": True,
    "start_by": "Wed 2 Dec 2026, 13:00 (Europe/Berlin)",
    "complete_by": "Fri 4 Dec 2026",
    "notes": [],
}


def run(count: int) -> tuple[dict[str, float], int]:
    raws = mixed_mail(count)
    spent = dict.fromkeys(("parse", "classify", "render", "compose", "smtp"), 0.0)
    filed = 0
    with SmtpSink() as sink:
        settings = load_settings(
            None,
            database_url="sqlite://",
            smtp={"host": sink.host, "port": sink.port, "security": "none"},
        )
        rules = catalogue.read(settings.rules_file, load_rules)
        with SmtpConnection(settings.smtp) as smtp:
            for n, raw in enumerate(raws):
                clock = time.process_time()
                try:
                    mail = parse(raw, max_attachment_bytes=settings.max_attachment_bytes)
                except UnparseableMail:
                    continue
                filed += 1
                clock = _lap(spent, "parse", clock)
                classify(mail.subject, mail.new_text, rules)
                clock = _lap(spent, "classify", clock)
                quote = render("quote", {**QUOTE, "subject": mail.subject})
                notice = render(
                    "staff_new_request",
                    {**NOTICE, "subject": mail.subject, "text": mail.new_text[:20_000]},
                )
                clock = _lap(spent, "render", clock)
                to_client = Envelope(SUPPORT, "Example Agency", (mail.from_address,))
                to_staff = Envelope(SUPPORT, "Example Agency", ("dana@agency.example",))
                reply = compose(
                    quote, to_client, new_message_id("agency.example", utcnow()), utcnow()
                )
                told = compose(
                    notice, to_staff, new_message_id("agency.example", utcnow()), utcnow()
                )
                clock = _lap(spent, "compose", clock)
                smtp.send(Parcel(SUPPORT, to_client.to, reply))
                if n % 2 == 0:
                    smtp.send(Parcel(SUPPORT, to_staff.to, told))
                _lap(spent, "smtp", clock)
    return spent, filed


def _lap(spent: dict[str, float], part: str, since: float) -> float:
    now = time.process_time()
    spent[part] += now - since
    return now


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=2000)
    args = parser.parse_args()
    print(yardstick())
    spent, filed = run(args.messages)
    total = sum(spent.values()) / filed * 1000
    for part, seconds in spent.items():
        label = "smtp (smtplib + sink)" if part == "smtp" else part
        print(f"{label:22} {seconds / filed * 1000:5.2f} ms a message")
    print(
        f"{'total':22} {total:5.2f} ms a message: at most {2000 / total:.0f} messages/s "
        f"on 2 cores with a free database, queue and IMAP"
    )


if __name__ == "__main__":
    main()

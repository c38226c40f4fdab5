"""`intake demo`: the sample mailbox through the whole pipeline on the embedded servers."""

from __future__ import annotations

import re

import sqlalchemy as sa

from intake.db import make_engine, session_factory, transaction
from intake.mail.models import Filing, InboundMessage
from workers.demo import MAILBOX, run_demo


def test_the_demo_files_every_sample_message_and_says_what_became_of_it(tmp_path):
    report = run_demo(tmp_path)
    files = sorted(MAILBOX.glob("*.eml"))
    assert f"{len(files)} messages from the sample mailbox" in report
    verdicts = re.findall(r"^\s+-> (.+)$", report, flags=re.MULTILINE)
    assert len(verdicts) == len(files)
    engine = make_engine(f"sqlite:///{tmp_path / 'intake-demo.db'}")
    with transaction(session_factory(engine)) as session:
        filings = list(session.scalars(sa.select(InboundMessage.filing)))
    engine.dispose()
    # The sample tells a story with each kind of outcome, and nothing is left pending.
    assert Filing.PENDING not in filings
    assert {Filing.REQUEST, Filing.FOLLOW_UP, Filing.MACHINE, Filing.HELD} <= set(filings)
    assert "held for staff" in report and "machine mail, no reply" in report
    # Each sample client got its reply, sent to the embedded SMTP sink
    for address in ("alice@acme.example", "zoe@zed.example", "hank@globex.example"):
        assert re.search(rf"^  sent +to {address}: \[REQ-\d+\]", report, flags=re.MULTILINE)
    assert "pending" not in report.split("Replies to clients")[1]
    # It ends with the sample clients' statements, billed and sent
    statements = report.split("Statements for 2026-11")[1]
    assert re.search(r"^  zed: 675\.00 \(created\) -> buchhaltung@zed\.example$", statements, re.M)
    assert re.search(r"^  acme: 1000\.00 \(created\)", statements, re.M)
    assert "4.5 h" in statements

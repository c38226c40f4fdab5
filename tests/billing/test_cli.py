"""`intake bill` end to end: statements stored once, sent over SMTP to a real aiosmtpd
sink with their CSV and PDF, a summary to staff, and the JSON shape of DESIGN.md."""

from __future__ import annotations

import email
import json
from datetime import date
from email.policy import default
from pathlib import Path

from click.testing import CliRunner

from intake.cli.main import cli
from intake.db import make_engine, session_factory, transaction
from tests.billing.test_service import work

ROOT = Path(__file__).parents[2]
CLIENTS = ROOT / "config" / "clients.example.toml"


def intake(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args])


def test_bill_stores_once_sends_by_smtp_and_prints_json(tmp_path, db_url, smtp_sink):
    config = tmp_path / "intake.toml"
    config.write_text(
        f'database_url = "{db_url}"\n'
        "[smtp]\n"
        f'host = "{smtp_sink.host}"\nport = {smtp_sink.port}\nsecurity = "none"\n'
        '[[staff]]\nemail = "dana@agency.example"\nname = "Dana"\nlead = true\n'
    )
    assert intake(config, "clients", "import", str(CLIENTS)).exit_code == 0
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        work(
            session,
            "acme",
            "CSV export",
            "feature",
            quoted="6",
            chargeable="1",
            logged=(("7", date(2026, 10, 5)),),
        )
        work(
            session,
            "zed",
            "How do I export?",
            "question",
            quoted="2",
            chargeable="2",
            logged=(("1.5", date(2026, 10, 20)),),
        )
    engine.dispose()

    result = intake(config, "bill", "--period", "2026-10", "--json")
    assert result.exit_code == 0, result.output
    billed = {row["client"]: row for row in json.loads(result.output)}
    assert billed["acme"]["total"] == "1150.00" and billed["zed"]["total"] == "225.00"
    assert billed["acme"]["sent_to"] == ["accounts@acme.example"]
    assert {"description", "hours", "amount"} <= set(billed["acme"]["lines"][0])
    mails = [email.message_from_bytes(m.raw, policy=default) for m in smtp_sink.messages]
    assert sorted(m["To"] for m in mails) == [
        "accounts@acme.example",
        "buchhaltung@zed.example",
        "dana@agency.example",
    ]
    [statement] = [m for m in mails if m["To"] == "accounts@acme.example"]
    names = sorted(a.get_filename() for a in statement.iter_attachments())
    assert names == ["statement-2026-10.csv", "statement-2026-10.pdf"]

    # A second run changes nothing and sends nothing
    again = json.loads(intake(config, "bill", "--period", "2026-10", "--json").output)
    assert {row["outcome"] for row in again} == {"already billed"}
    assert len(smtp_sink.messages) == 3
    # --resend sends the stored statement again, to that client only
    intake(config, "bill", "--period", "2026-10", "--resend", "--client", "zed")
    assert [m for m in smtp_sink.messages[3:] if b"buchhaltung@zed.example" in m.raw]


def test_a_bad_period_is_one_line(tmp_path, db_url):
    config = tmp_path / "intake.toml"
    config.write_text(f'database_url = "{db_url}"\n')
    result = intake(config, "bill", "--period", "2026-13")
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "intake: --period: period must be a month written YYYY-MM, such as 2026-10: '2026-13'"
    ]

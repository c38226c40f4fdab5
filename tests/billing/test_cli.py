"""`intake bill` end to end: statements stored once, sent over SMTP to a real aiosmtpd
sink with their CSV and PDF, a summary to staff, and the JSON shape of DESIGN.md."""

from __future__ import annotations

import email
import json
import re
from datetime import date
from email.policy import default
from pathlib import Path
from zoneinfo import ZoneInfo

import pypdf
import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from intake.billing.models import Statement
from intake.billing.statement import Period
from intake.cli.main import cli
from intake.db import make_engine, session_factory, transaction, utcnow
from intake.outbox.models import OutboundMessage
from intake.requests.models import TimeEntry
from tests.factories import CLIENTS_FILE, client, october_work, work

ROOT = Path(__file__).parents[2]
CENTS = re.compile(r"\d+\.\d\d")


def intake(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args])


@pytest.fixture
def config(tmp_path, db_url, smtp_sink) -> Path:
    """Settings on the test database and the SMTP sink, staff Dana, the example clients."""
    path = tmp_path / "intake.toml"
    path.write_text(
        f'database_url = "{db_url}"\n'
        "[smtp]\n"
        f'host = "{smtp_sink.host}"\nport = {smtp_sink.port}\nsecurity = "none"\n'
        '[[staff]]\nemail = "dana@agency.example"\nname = "Dana"\nlead = true\n'
    )
    assert intake(path, "clients", "import", str(CLIENTS_FILE)).exit_code == 0
    return path


def with_session(db_url: str, change) -> None:
    engine = make_engine(db_url)
    with transaction(session_factory(engine)) as session:
        change(session)
    engine.dispose()


def stored(db_url: str) -> tuple[int, int, int]:
    """(statements, outbox emails, time entries on a statement)."""
    counts: list[int] = []

    def count(session) -> None:
        counts.extend(
            [
                session.scalar(sa.select(sa.func.count()).select_from(Statement)),
                session.scalar(sa.select(sa.func.count()).select_from(OutboundMessage)),
                session.scalar(
                    sa.select(sa.func.count()).where(TimeEntry.statement_id.is_not(None))
                ),
            ]
        )

    with_session(db_url, count)
    return counts[0], counts[1], counts[2]


def parsed(sink) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.raw, policy=default) for m in sink.messages]


def today() -> date:
    """Today on the agency's clock (the default time zone, London)."""
    return utcnow().astimezone(ZoneInfo("Europe/London")).date()


def this_month() -> Period:
    return Period.of(today())


def zed_worked_today(session) -> None:
    """An hour logged today on a question Zed approved at 2 h."""
    work(session, "zed", "Export", "question", quoted="2", chargeable="2", logged=(("1", today()),))


def test_bill_stores_once_sends_by_smtp_and_prints_json(config, db_url, smtp_sink):
    with_session(db_url, october_work)

    result = intake(config, "bill", "--period", "2026-10", "--json")
    assert result.exit_code == 0, result.output
    billed = {row["client"]: row for row in json.loads(result.stdout)}
    assert billed["acme"]["total"] == "1150.00" and billed["zed"]["total"] == "225.00"
    assert billed["acme"]["sent_to"] == ["accounts@acme.example"]
    assert {"description", "hours", "amount"} <= set(billed["acme"]["lines"][0])
    mails = parsed(smtp_sink)
    assert sorted(m["To"] for m in mails) == [
        "accounts@acme.example",
        "buchhaltung@zed.example",
        "dana@agency.example",
    ]
    [statement] = [m for m in mails if m["To"] == "accounts@acme.example"]
    names = sorted(a.get_filename() for a in statement.iter_attachments())
    assert names == ["statement-2026-10.csv", "statement-2026-10.pdf"]

    # A second run changes nothing and sends nothing, and says where each statement went
    again = json.loads(intake(config, "bill", "--period", "2026-10", "--json").stdout)
    assert {row["outcome"] for row in again} == {"already billed"}
    assert len(smtp_sink.messages) == 3
    assert {row["client"]: row["sent_to"] for row in again} == {
        "acme": ["accounts@acme.example"],
        "zed": ["buchhaltung@zed.example"],
    }


def test_a_statement_the_server_did_not_take_is_not_shown_as_sent(config, db_url, smtp_sink):
    # Given October's work, and a mail server that says "try again later"
    with_session(db_url, october_work)
    smtp_sink.refusing = True
    # When October is billed
    result = intake(config, "bill", "--period", "2026-10", "--json")
    # Then the statements are made, stored and waiting, and none claims to have been sent
    assert result.exit_code == 0, result.output
    billed = {row["client"]: row for row in json.loads(result.stdout)}
    assert {row["outcome"] for row in billed.values()} == {"created"}
    assert all(row["sent_to"] == [] for row in billed.values())
    assert "mail waits in the outbox" in result.stderr
    again = json.loads(intake(config, "bill", "--period", "2026-10", "--json").stdout)
    assert all(row["sent_to"] == [] for row in again)


def test_a_dry_run_through_the_cli_stores_and_sends_nothing(config, db_url, smtp_sink):
    # Given October's work, not billed
    with_session(db_url, october_work)
    # When October is run dry
    result = intake(config, "bill", "--period", "2026-10", "--dry-run")
    # Then each client's statement is shown
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert "dry run" in rows["acme"] and "1150.00" in rows["acme"]
    assert "dry run" in rows["zed"] and "225.00" in rows["zed"]
    # And nothing is stored, queued, marked or sent
    assert stored(db_url) == (0, 0, 0)
    assert smtp_sink.messages == []


def test_resend_for_one_client_sends_only_its_stored_statement(config, db_url, smtp_sink):
    # Given October billed and sent to every client
    with_session(db_url, october_work)
    assert intake(config, "bill", "--period", "2026-10").exit_code == 0
    before = stored(db_url)
    smtp_sink.clear()
    # When Acme's statement is resent
    result = intake(config, "bill", "--period", "2026-10", "--resend", "--client", "acme")
    # Then it succeeds and Acme's stored statement goes again, with a note to staff
    assert result.exit_code == 0, result.output
    assert "resent" in result.stdout and "1150.00" in result.stdout
    mails = parsed(smtp_sink)
    assert sorted(m["To"] for m in mails) == ["accounts@acme.example", "dana@agency.example"]
    [statement] = [m for m in mails if m["To"] == "accounts@acme.example"]
    # the same invoice, under the number it was given the first time (Acme's came first)
    assert statement["Subject"] == "Invoice INV-00001 for October 2026: $1,150.00"
    assert "INV-00001" in result.stdout
    # And no other client gets anything, and nothing is billed again
    assert not [m for m in smtp_sink.messages if "buchhaltung@zed.example" in m.rcpt_tos]
    statements, emails, marked = stored(db_url)
    assert (statements, marked) == (before[0], before[2]) and emails == before[1] + 2


def test_json_money_is_always_to_the_cent(config, db_url):
    # Given Acme's plan and no hours logged: Zed, with no plan, has nothing to bill
    # When October is billed, dry and for real, as JSON
    for extra in (["--dry-run"], []):
        result = intake(config, "bill", "--period", "2026-10", "--json", *extra)
        assert result.exit_code == 0, result.output
        billed = {row["client"]: row for row in json.loads(result.stdout)}
        # Then every amount is written to the cent, nothing to bill as "0.00"
        assert billed["zed"]["outcome"] == "nothing to bill"
        assert billed["zed"]["total"] == "0.00"
        assert billed["acme"]["total"] == "1000.00"
        amounts = [row["total"] for row in billed.values()]
        amounts += [line["amount"] for row in billed.values() for line in row["lines"]]
        assert all(CENTS.fullmatch(amount) for amount in amounts), amounts


@pytest.mark.parametrize("when", ["this month", "2027-05"])
def test_a_month_not_over_is_refused_in_one_line(config, db_url, smtp_sink, when):
    # Given hours logged today
    period = this_month() if when == "this month" else Period.parse(when)
    with_session(db_url, zed_worked_today)
    # When a month that has not ended yet is billed, or resent
    for extra in ([], ["--resend"], ["--client", "zed", "--json"]):
        result = intake(config, "bill", "--period", period.label, *extra)
        # Then it is refused in one line naming the month, with a non-zero exit
        assert result.exit_code == 2
        assert result.output.splitlines() == [
            f"intake: {period.label} has not ended yet (Europe/London): its statements are "
            "made once it is over; --dry-run shows a preview"
        ]
    # And nothing is stored, queued, marked or sent
    assert stored(db_url) == (0, 0, 0)
    assert smtp_sink.messages == []


def test_a_dry_run_of_this_month_is_a_preview_labelled_so(config, db_url, smtp_sink):
    # Given hours logged today on a request Zed approved
    with_session(db_url, zed_worked_today)
    period = this_month()
    # When this month is run dry
    result = intake(config, "bill", "--period", period.label, "--dry-run")
    # Then the statement is shown as a preview of a month not over
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert (
        lines[0] == f"PREVIEW of {period.label}, a month not over yet: nothing is stored or sent."
    )
    [zed] = [line for line in lines if line.startswith("zed ")]
    assert "preview, month not over" in zed and "150.00" in zed
    as_json = intake(config, "bill", "--period", period.label, "--dry-run", "--json")
    [row] = [r for r in json.loads(as_json.stdout) if r["client"] == "zed"]
    assert row["outcome"] == "preview, month not over" and row["total"] == "150.00"
    # And nothing is stored or sent
    assert stored(db_url) == (0, 0, 0)
    assert smtp_sink.messages == []


def test_a_resend_of_a_month_never_billed_says_there_is_nothing_to_resend(
    config, db_url, smtp_sink
):
    # Given October's work, never billed
    with_session(db_url, october_work)
    # When Acme's October statement is resent
    result = intake(config, "bill", "--period", "2026-10", "--resend", "--client", "acme")
    # Then there is nothing stored to resend, said in one line with a non-zero exit
    assert result.exit_code != 0
    assert result.output.splitlines() == [
        "intake: nothing stored to resend: 2026-10 was never billed for acme "
        "(a resend bills nothing; bill the month without --resend)"
    ]
    # And October is not billed by the way
    assert stored(db_url) == (0, 0, 0)
    assert smtp_sink.messages == []


def test_a_bad_period_is_one_line(tmp_path, db_url):
    config = tmp_path / "intake.toml"
    config.write_text(f'database_url = "{db_url}"\n')
    result = intake(config, "bill", "--period", "2026-13")
    assert result.exit_code != 0
    assert result.output.strip().splitlines() == [
        "intake: --period: period must be a month written YYYY-MM, such as 2026-10: '2026-13'"
    ]


def test_a_preview_shows_the_month_so_far_and_stores_and_sends_nothing(
    config, db_url, smtp_sink, tmp_path
):
    # Given hours logged on Zed's approved work this month
    today = utcnow().astimezone(ZoneInfo("Europe/London")).date()

    def this_month(session) -> None:
        work(session, "zed", "Nachtschicht-Übersicht", "feature", quoted="2", chargeable="2",
             logged=(("1.5", today),))  # fmt: skip

    with_session(db_url, this_month)
    before = stored(db_url)
    # When staff preview Zed's statement, printed and written to a folder
    printed = intake(config, "bill", "--preview", "--client", "zed")
    folder = tmp_path / "preview"
    written = intake(config, "bill", "--preview", "--out", str(folder))
    # Then Zed's statement so far is shown as Zed would read it, marked as a preview
    assert printed.exit_code == 0, printed.output
    assert "PREVIEW:" in printed.output and "Nachtschicht-Übersicht" in printed.output
    assert "Total due: $225.00" in printed.output
    assert written.exit_code == 0, written.output
    period = f"{today:%Y-%m}"
    html = (folder / f"zed-{period}.html").read_text()
    assert "Preview:" in html and "$225.00" in html
    pdf = pypdf.PdfReader(folder / f"zed-{period}.pdf")
    assert "PREVIEW" in pdf.pages[0].extract_text()
    # and nothing is stored, numbered or sent
    assert stored(db_url) == before and not smtp_sink.messages
    assert intake(config, "bill", "--preview", "--period", "2026-10").exit_code == 2


def test_a_preview_is_written_in_the_clients_language_pdf_too(config, db_url, tmp_path):
    # Given Zed GmbH, reading German, with hours logged this month
    today = utcnow().astimezone(ZoneInfo("Europe/London")).date()

    def this_month(session) -> None:
        client(session, "zed").language = "de"
        work(session, "zed", "Nachtschicht-Übersicht", "feature", quoted="2", chargeable="2",
             logged=(("1.5", today),))  # fmt: skip

    with_session(db_url, this_month)
    # When staff preview it into a folder
    folder = tmp_path / "preview"
    assert (
        intake(config, "bill", "--preview", "--client", "zed", "--out", str(folder)).exit_code == 0
    )
    # Then the PDF is the one Zed would get: in German, marked as a preview
    pdf = pypdf.PdfReader(folder / f"zed-{today:%Y-%m}.pdf").pages[0].extract_text()
    assert "VORSCHAU:" in pdf and "Gesamtbetrag: 225,00\xa0$" in pdf and "Total due" not in pdf

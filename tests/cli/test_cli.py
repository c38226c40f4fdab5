"""The `intake` command: its JSON shapes and its one-line errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from intake.cli.main import cli, hoist_global_options
from intake.db import make_engine, session_factory, transaction
from intake.filing.service import file_batch
from intake.mail.store import Fetched, store_raw
from intake.requests import service as requests
from intake.requests.models import Request
from intake.requests.states import Severity, Status
from intake.settings import load_settings
from tests.factories import CLIENTS_FILE
from tests.mailbuilder import STAFF_AUTH, message

ROOT = Path(__file__).parents[2]
LABELLED = ROOT / "tests" / "data" / "labelled" / "house.toml"
LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def config(tmp_path, db_url) -> Path:
    path = tmp_path / "intake.toml"
    path.write_text(
        f'database_url = "{db_url}"\n'
        f'plans_file = "{ROOT / "config" / "plans.toml"}"\n'
        '[[staff]]\nemail = "dana@agency.example"\nname = "Dana"\nlead = true\n'
    )
    return path


def intake(config: Path, *args: str):
    result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    return result


def file_mail(config: Path, raws: list[bytes]) -> None:
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        ids = store_raw(session, "box", 1, [Fetched(n, raw) for n, raw in enumerate(raws, 1)])
        file_batch(session, settings, ids)
    engine.dispose()


def test_db_upgrade_is_repeatable(config):
    assert intake(config, "db", "upgrade").exit_code == 0
    result = intake(config, "db", "upgrade")
    assert result.exit_code == 0 and "revision" in result.output


def test_clients_import_list_and_write_back(config, tmp_path):
    result = intake(config, "clients", "import", str(CLIENTS_FILE))
    assert result.exit_code == 0 and "2 clients created" in result.output
    listed = intake(config, "clients", "list")
    assert "acme" in listed.output and "zed" in listed.output
    written = tmp_path / "back.toml"
    written.write_text(intake(config, "clients", "list", "--toml").output)
    again = intake(config, "clients", "import", str(written))
    assert "0 clients created, 2 updated" in again.output


def test_clients_add_creates_a_contact_who_may_approve(config):
    result = intake(
        config,
        "clients",
        "add",
        "globex",
        "--name",
        "Globex",
        "--plan",
        "basic",
        "--domain",
        "globex.example",
        "--contact",
        "hank@globex.example:Hank:approve",
    )
    assert result.exit_code == 0, result.output
    toml = intake(config, "clients", "list", "--toml").output
    assert 'email = "hank@globex.example"' in toml and "can_approve = true" in toml


def test_clients_add_changes_only_the_options_given(config):
    # Given Acme imported with its plan, domains, time zone, country, start and billing
    intake(config, "clients", "import", str(CLIENTS_FILE))
    before = intake(config, "clients", "list", "--toml").output
    # When staff add a contact and change the plan of an existing client
    result = intake(
        config,
        "clients",
        "add",
        "acme",
        "--plan",
        "premium",
        "--contact",
        "bob@acme.example:Bob",
    )
    assert result.exit_code == 0 and "client acme updated" in result.output
    # Then only those changed: nothing else of Acme was reset to a default
    after = intake(config, "clients", "list", "--toml").output
    acme_before = tomllib.loads(before)["client"][0]
    acme_after = tomllib.loads(after)["client"][0]
    assert acme_before["slug"] == acme_after["slug"] == "acme"
    assert acme_after["plan"] == "premium"
    changed = {k for k in acme_before if acme_before[k] != acme_after.get(k)}
    assert changed == {"plan", "contact"}
    assert {"email": "bob@acme.example", "name": "Bob", "can_approve": False} in (
        acme_after["contact"]
    )
    assert len(acme_after["contact"]) == len(acme_before["contact"]) + 1


def test_a_new_client_needs_a_name(config):
    result = intake(config, "clients", "add", "initech")
    assert result.exit_code != 0
    assert result.output.strip() == "intake: client initech is new: --name is required"


def test_requests_list_show_and_status_json_shapes(config):
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(
        config,
        [
            message(message_id="m1@acme.example", subject="Site down"),
            message(subject="Re: Site down", in_reply_to="m1@acme.example"),
            message(sender="who@nowhere.example", subject="Hello"),
            message(subject="Away", headers={"Auto-Submitted": "auto-replied"}),
            bytes(range(256)),
        ],
    )
    rows = json.loads(intake(config, "requests", "list", "--json").output)
    assert [r["ref"] for r in rows] == ["REQ-1001", "REQ-1002"]
    first = rows[0]
    assert {
        "ref",
        "client",
        "contact",
        "subject",
        "type",
        "severity",
        "status",
        "opened_at",
    } <= set(first)
    assert (first["client"], first["contact"]) == ("acme", "alice@acme.example")
    assert (first["type"], first["severity"], first["status"]) == ("bug", "critical", "approved")
    assert first["opened_at"].endswith("+00:00")
    assert rows[1]["client"] is None and rows[1]["status"] == "held"
    # The critical bug's first-response clock runs; the held message has no clock yet
    assert rows[0]["due_at"] is not None and rows[1]["due_at"] is None
    by_due = json.loads(intake(config, "requests", "list", "--sort", "due", "--json").output)
    assert [r["ref"] for r in by_due] == ["REQ-1001", "REQ-1002"]

    shown = json.loads(intake(config, "requests", "show", "REQ-1001", "--json").output)
    assert shown["quote"]["amount"] == "0.00" and shown["quote"]["status"] == "included"
    assert shown["quote"]["hours"] == "3" and shown["time"] == []
    # Alice's two messages; the reply to her, the staff notice, and staff told of her reply.
    assert sorted(m["direction"] for m in shown["messages"]) == ["in", "in", "out", "out", "out"]
    assert [e["kind"] for e in shown["events"]] == ["opened", "classified", "status", "follow_up"]

    status = json.loads(intake(config, "status", "--json").output)
    inbound = status["inbound"]
    assert inbound == {
        "total": 5,
        "request": 1,
        "follow_up": 1,
        "machine": 1,
        "held": 1,
        "command": 0,
        "failed": 1,
        "pending": 0,
        "history": 0,
    }
    # The reply to Alice, staff told of her request and of her follow-up, and of the stranger.
    assert status["outbox"] == {
        "pending": 4,
        "sent": 0,
        "failed": 0,
        "sending_error": None,
        "failing_since": None,
    }


def london(day: int, hour: int, minute: int = 0) -> datetime:
    """November 2026, Acme's time; the 20th is a Friday, the 23rd a Monday."""
    return datetime(2026, 11, day, hour, minute, tzinfo=LONDON)


def rewrite_history(config: Path, number: int, severity: str, opened: datetime) -> None:
    """Give request ``number`` a severity and pretend it (and its history) began ``opened``."""
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        request = session.scalars(sa.select(Request).where(Request.number == number)).one()
        request.severity = Severity(severity)
        request.opened_at = opened
        for event in request.events:
            event.at = opened
    engine.dispose()


def wait_on_client(config: Path, number: int, since: datetime) -> None:
    settings = load_settings(config)
    engine = make_engine(settings.database_url)
    with transaction(session_factory(engine)) as session:
        request = session.scalars(sa.select(Request).where(Request.number == number)).one()
        requests.move(session, request, Status.WAITING_ON_CLIENT, actor="dana@agency.example")
        request.events[-1].at = since
    engine.dispose()


def test_requests_list_sorts_by_what_falls_due_next(config):
    # Given Acme's requests, all past their first-response targets by now but one, whose
    # clock is paused while it waits on the client, and a held message with no clock
    # (quoted at once: this is about the clocks, not about review):
    config.write_text(config.read_text() + '[quotes]\nreview = "never"\n')
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(
        config,
        [
            message(subject="Typo on the about page", body="A small typo.\n"),
            message(subject="Broken link in the footer", body="The link is broken.\n"),
            message(subject="Site down", body="The site is down for everyone!\n"),
            message(sender="who@nowhere.example", subject="Hello"),
        ],
    )
    # the oldest, minor (8 business hours): due Monday 16:00
    rewrite_history(config, 1001, "minor", london(20, 16))
    # major (2 h), waiting on the client since ten minutes in: it cannot fall due
    rewrite_history(config, 1002, "major", london(20, 16, 30))
    wait_on_client(config, 1002, london(20, 16, 40))
    # the newest, critical (2 h): due Monday 12:00
    rewrite_history(config, 1003, "critical", london(23, 10))
    # When staff list them by what falls due next
    rows = json.loads(intake(config, "requests", "list", "--sort", "due", "--json").output)
    # Then the newest comes first, the paused one after those that run, the held one last
    assert [r["ref"] for r in rows] == ["REQ-1003", "REQ-1001", "REQ-1002", "REQ-1004"]
    assert [r["due_at"] and datetime.fromisoformat(r["due_at"]) for r in rows] == [
        london(23, 12),
        london(23, 16),
        None,
        None,
    ]
    assert [r["overdue"] for r in rows] == [True, True, False, False]
    # And the default order is still by number
    by_number = json.loads(intake(config, "requests", "list", "--json").output)
    assert [r["ref"] for r in by_number] == ["REQ-1001", "REQ-1002", "REQ-1003", "REQ-1004"]
    # and --overdue keeps only the two past their targets
    late = json.loads(intake(config, "requests", "list", "--overdue", "--json").output)
    assert [r["ref"] for r in late] == ["REQ-1001", "REQ-1003"]


def test_requests_examples_exports_a_staff_correction_as_a_labelled_example(config):
    # Given Alice's request, with quotes and backslashes in it, and Dana's correction of it
    intake(config, "clients", "import", str(CLIENTS_FILE))
    body = 'The "Save" button under C:\\Shop\\admin fails with """error 42""".\n'
    file_mail(
        config,
        [
            message(message_id="save@acme.example", subject='"Save" fails', body=body),
            message(
                sender="dana@agency.example",
                name="Dana",
                subject='Re: [REQ-1001] "Save" fails',
                in_reply_to="save@acme.example",
                body="#type feature\n#severity major\n#internal\n",
                headers=STAFF_AUTH,
            ),
        ],
    )
    # When staff export the corrections
    result = intake(config, "requests", "examples")
    # Then the correction is one [[request]] of the labelled set's shape, with Dana's labels
    assert result.exit_code == 0, result.output
    [example] = tomllib.loads(result.output)["request"]
    assert example == {
        "split": "correction",
        "subject": '"Save" fails',
        "text": body.strip(),
        "type": "feature",
        "severity": "major",
    }
    labelled = tomllib.loads(LABELLED.read_text())["request"]
    assert all(set(entry) == set(example) for entry in labelled)
    # And it can be appended to the labelled set as the command's help says
    appended = tomllib.loads(LABELLED.read_text() + result.output)["request"]
    assert appended[:-1] == labelled and appended[-1] == example


def test_parked_mail_can_be_retried(config):
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(config, [bytes(range(256))])
    result = intake(config, "requests", "retry", "--all")
    assert result.exit_code == 0 and "inbound 1: failed" in result.output


def test_retrying_an_inbound_id_that_does_not_exist_is_one_line(config):
    # Given a mailbox with one parked message
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(config, [bytes(range(256))])
    # When staff retry it together with an id that does not exist
    result = intake(config, "requests", "retry", "1", "99999")
    # Then, as for any unknown reference, one line names it, exit code 3, nothing re-filed
    assert result.exit_code == 3 and result.output.strip() == "intake: no inbound message 99999"
    # And the parked message can still be retried by its own id
    again = intake(config, "requests", "retry", "1")
    assert again.exit_code == 0 and "inbound 1: failed" in again.output
    assert "1 message re-filed" in again.output


def test_an_unknown_request_is_one_line(config):
    result = intake(config, "requests", "show", "REQ-9")
    assert result.exit_code == 3 and result.output.strip() == "intake: no request REQ-9"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


def test_a_bad_config_is_one_line_and_exit_code_2(tmp_path):
    bad = tmp_path / "intake.toml"
    bad.write_text('[imap]\nport = "nine"\n')
    done = run_cli("--config", str(bad), "status")
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr
    assert "imap.port" in done.stderr


def test_an_unreachable_database_is_one_line_naming_the_setting(tmp_path):
    cfg = tmp_path / "intake.toml"
    cfg.write_text('database_url = "postgresql+psycopg://nobody@127.0.0.1:1/none"\n')
    done = run_cli("--config", str(cfg), "db", "upgrade")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith("intake: database_url: cannot connect")
    assert done.stderr.strip().count("\n") == 0


def test_a_database_without_schema_says_to_upgrade(tmp_path):
    cfg = tmp_path / "intake.toml"
    cfg.write_text(f'database_url = "sqlite:///{tmp_path / "empty.db"}"\n')
    done = run_cli("--config", str(cfg), "requests", "list")
    assert done.returncode == 2 and "run `intake db upgrade`" in done.stderr


def assert_one_line(done: subprocess.CompletedProcess[str], code: int, starts: str) -> None:
    """The product rule: exit code non-zero, one line on stderr naming the setting."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == code, done.stderr
    assert done.stderr.startswith(f"intake: {starts}"), done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr


def test_a_config_file_that_is_not_utf8_is_one_line(tmp_path):
    # Given a settings file saved as Latin-1
    cfg = tmp_path / "intake.toml"
    cfg.write_bytes('agency_name = "Café"\n'.encode("latin-1"))
    # When any command reads it
    done = run_cli("--config", str(cfg), "status")
    # Then one line names the file and says how to fix it
    assert_one_line(done, 2, f"config file {cfg} is not UTF-8 text")


@pytest.mark.parametrize(
    "url", ["sqlite:garbage", "postgresqlfoo://x", "postgresql+psycopg2://u@127.0.0.1/db"]
)
def test_a_database_url_intake_cannot_use_is_one_line(tmp_path, url):
    # Given a database URL that does not parse, names no known database, or needs a
    # driver intake does not install
    cfg = tmp_path / "intake.toml"
    cfg.write_text(f'database_url = "{url}"\n')
    # When a command needs the database
    done = run_cli("--config", str(cfg), "db", "upgrade")
    # Then one line names the setting and what intake supports
    assert_one_line(done, 2, "setting database_url: ")
    assert "postgresql+psycopg://" in done.stderr


@pytest.mark.parametrize(("variable", "value"), [("INTAKE_STAFF", "nope"), ("INTAKE_IMAP", "{bad")])
def test_a_variable_that_is_not_json_is_one_line(tmp_path, variable, value):
    # Given a section set whole from the environment, but not as JSON
    env = {**os.environ, variable: value}
    # When a command loads the settings
    done = run_cli("status", env=env)
    # Then one line names the setting and the variable
    assert_one_line(done, 2, f"setting {variable.removeprefix('INTAKE_').lower()}: {variable}")


def test_a_clients_file_that_is_not_utf8_is_one_line(tmp_path):
    # Given a clients file saved as Latin-1
    config = tmp_path / "intake.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "intake.db"}"\n')
    clients = tmp_path / "clients.toml"
    clients.write_bytes(CLIENTS_FILE.read_text().replace("Acme", "Acmé").encode("latin-1"))
    # When it is imported
    done = run_cli("--config", str(config), "clients", "import", str(clients))
    # Then one line names the file
    assert_one_line(done, 2, f"clients file {clients} is not UTF-8 text")


@pytest.mark.parametrize(
    ("entry", "names"),
    [
        ('requires_po = "false"', "client #1 (odd): requires_po must be true or false"),
        ('domains = "odd.example"', "client #1 (odd): domains must be a list"),
        (
            'domains = ["odd.example", "odd"]',
            "client #1 (odd): domains: 'odd' is not a mail domain",
        ),
        ('hourly_rate = "-150"', "client #1 (odd): hourly_rate: '-150' must be an amount"),
        (
            '[[client.contact]]\nemail = "x@odd.example"\ncan_approve = "no"',
            "client #1 (odd): contact x@odd.example: can_approve must be true or false",
        ),
    ],
)
def test_a_clients_file_with_a_value_of_the_wrong_kind_is_one_line(tmp_path, entry, names):
    # Given a clients file with text for a yes-or-no, a lone string for a list, or a
    # negative rate
    config = tmp_path / "intake.toml"
    config.write_text(f'database_url = "sqlite:///{tmp_path / "intake.db"}"\n')
    clients = tmp_path / "clients.toml"
    clients.write_text(f'[[client]]\nslug = "odd"\nname = "Odd"\n{entry}\n')
    # When it is imported
    done = run_cli("--config", str(config), "clients", "import", str(clients))
    # Then one line names the client and the key, and nothing is imported
    assert_one_line(done, 2, f"{clients}: {names}")


@pytest.mark.parametrize("command", [("run", "--once"), ("worker",)])
def test_a_redis_url_with_a_bad_port_is_one_line(tmp_path, command):
    # Given a Redis URL whose port is not a number
    cfg = tmp_path / "intake.toml"
    cfg.write_text(
        f'database_url = "sqlite:///{tmp_path / "intake.db"}"\n'
        'redis_url = "redis://127.0.0.1:notaport/0"\n'
    )
    # When a process that uses the queue starts
    done = run_cli("--config", str(cfg), *command)
    # Then it stops on one line naming the setting, as for any other bad setting
    assert_one_line(done, 2, "setting redis_url: ")
    assert "notaport" in done.stderr


def broken_files(tmp_path: Path, which: str) -> Path:
    """A settings file whose ``which`` (plans_file or rules_file) is missing or broken; no
    server it names is reachable, so only a check before any connection can name the file."""
    rules = tmp_path / "rules.toml"
    rules.write_text((ROOT / "config" / "rules.toml").read_text().replace("[approval]", "[x]"))
    files = {
        "plans_file": f'plans_file = "{tmp_path / "missing.toml"}"\n',
        "rules_file": f'rules_file = "{rules}"\n',
    }
    cfg = tmp_path / "intake.toml"
    cfg.write_text(
        f'database_url = "sqlite:///{tmp_path / "intake.db"}"\n'
        'redis_url = "redis://127.0.0.1:1/0"\n'
        f"{files[which]}"
        '[imap]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\n'
        '[smtp]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\n'
    )
    return cfg


@pytest.mark.parametrize("which", ["plans_file", "rules_file"])
@pytest.mark.parametrize(
    "command",
    [
        ("run", "--once"),
        ("poll",),
        ("worker",),
        ("worker", "--processes", "2"),
        ("clients", "import", str(CLIENTS_FILE)),
    ],
)
def test_a_missing_or_broken_catalogue_file_stops_a_command_at_start(tmp_path, which, command):
    # Given a plans_file that is missing, or a rules_file without its [approval] table
    cfg = broken_files(tmp_path, which)
    # When a process that files mail (or the import that sets clients on plans) starts
    done = run_cli("--config", str(cfg), *command)
    # Then it stops before anything else, on one line naming the file's setting
    assert_one_line(done, 2, f"{which}: ")


def test_an_error_stands_alone_on_stderr_with_no_log_lines_before_it(config):
    # Given a migrated database, when a command fails in a fresh process
    done = run_cli("--config", str(config), "requests", "show", "REQ-9999", "--json")
    # Then stderr is the one line, without the schema check's log notes before it
    assert_one_line(done, 3, "no request REQ-9999")


def test_without_settings_one_line_says_what_was_looked_for_and_nothing_is_created(
    tmp_path, monkeypatch
):
    # Given a folder with no intake.toml and no INTAKE_ variables
    monkeypatch.chdir(tmp_path)
    for key in [k for k in os.environ if k.startswith("INTAKE_")]:
        monkeypatch.delenv(key)
    # When a command that needs settings runs
    result = CliRunner().invoke(cli, ["status"])
    # Then one line names the file it looked for, and the folder is left as it was
    assert result.exit_code == 2
    assert result.output.startswith(f"intake: no settings: there is no intake.toml in {tmp_path}")
    assert result.output.strip().count("\n") == 0
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("args", "hoisted"),
    [
        (["status", "--config", "x.toml"], ["--config", "x.toml", "status"]),
        (
            ["requests", "list", "--config=x.toml", "-v"],
            ["--config=x.toml", "-v", "requests", "list"],
        ),
        (["--config", "x.toml", "status"], ["--config", "x.toml", "status"]),
        (["requests", "note", "--", "--config", "y"], ["requests", "note", "--", "--config", "y"]),
    ],
)
def test_the_groups_options_may_follow_the_command(args, hoisted):
    assert hoist_global_options(args) == hoisted


def test_status_takes_its_config_after_the_command(config):
    intake(config, "db", "upgrade")
    result = CliRunner().invoke(cli, ["status", "--config", str(config)])
    assert result.exit_code == 0 and result.output.startswith("inbound  0 stored")


def test_requests_list_has_a_header_and_says_when_nothing_matches(config):
    intake(config, "db", "upgrade")
    assert intake(config, "requests", "list").output == "no requests match\n"
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(config, [message(subject="A subject far too long to fit in the column " * 2)])
    header, row = intake(config, "requests", "list").output.splitlines()
    assert header.split() == [
        "REF",
        "STATUS",
        "CLIENT",
        "TYPE",
        "SEVERITY",
        "SLA",
        "DUE",
        "PROMISED",
        "OWNER",
        "CONTACT",
        "SUBJECT",
    ]
    assert row.startswith("REQ-1001") and row.endswith("…")
    assert header.index("SUBJECT") == row.index("A subject")


def test_requests_are_assigned_and_listed_by_owner(config):
    # Given two requests
    intake(config, "db", "upgrade")
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(config, [message(subject="Checkout down"), message(subject="New banner")])
    # When one is given to Dana by name
    assigned = intake(config, "requests", "assign", "REQ-1001", "dana")
    assert (
        assigned.exit_code == 0 and assigned.output == "REQ-1001 assigned to dana@agency.example\n"
    )
    # Then the list filters by owner, and shows nobody's work apart
    mine = json.loads(intake(config, "requests", "list", "--owner", "Dana", "--json").output)
    nobodys = json.loads(intake(config, "requests", "list", "--owner", "none", "--json").output)
    assert [r["ref"] for r in mine] == ["REQ-1001"] and mine[0]["owner"] == "dana@agency.example"
    assert [r["ref"] for r in nobodys] == ["REQ-1002"]
    assert "owner dana@agency.example" in intake(config, "requests", "show", "REQ-1001").output
    # and a name that is no staff member's is one line, exit code 2
    wrong = intake(config, "requests", "assign", "REQ-1002", "carol")
    assert wrong.exit_code == 2 and "'carol' names no one staff member" in wrong.output


def test_requests_show_reads_as_the_conversation(config):
    # Given a request, a staff reply with a quote and logged time, and the client's answer
    intake(config, "db", "upgrade")
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(
        config,
        [
            message(message_id="c1@acme.example", subject="Checkout error 500"),
            message(
                sender="dana@agency.example",
                subject="Re: [REQ-1001] Checkout error 500",
                body="#quote 6h\n#log 1h looked at the orders page\nHello Alice, 6 hours.\n",
                in_reply_to="c1@acme.example",
                headers=STAFF_AUTH,
            ),
        ],
    )
    # When staff look at it
    shown = json.loads(intake(config, "requests", "show", "REQ-1001", "--json").output)
    # Then it is one timeline: each email, then what it caused, oldest first
    assert [(e["what"], e["who"]) for e in shown["timeline"]] == [
        ("email in", "alice@acme.example"),
        ("change", "alice@acme.example"),  # opened
        ("change", "intake"),  # classified
        ("change", "intake"),  # approved at once: a bug, free under the plan
        ("quote", "intake"),
        ("email out", "alice@acme.example"),  # the acknowledgement
        ("email out", "dana@agency.example"),  # the staff notice
        ("email in", "dana@agency.example"),
        ("quote", "dana@agency.example"),  # work under way stays so: no change of status
        ("time", "dana@agency.example"),
        ("email out", "alice@acme.example"),  # the relay with the new quote
        ("email out", "dana@agency.example"),  # Dana's receipt
    ]
    text = intake(config, "requests", "show", "REQ-1001").output
    # and in words, on the agency's clock (Europe/London), the email's own text under it
    assert "alice@acme.example wrote: 'Checkout error 500'" in text
    assert "dana@agency.example logged 1 h for " in text and ": looked at the orders page" in text
    assert "quote v2 by dana@agency.example: 6 h," in text
    assert "staff_reply" not in text and "opened opened" not in text


def test_requests_are_closed_from_the_command_line(config):
    intake(config, "db", "upgrade")
    intake(config, "clients", "import", str(CLIENTS_FILE))
    file_mail(
        config,
        [message(subject="Site down"), message(sender="seo@offers.example", subject="Rank #1")],
    )
    # A client's approved work is closed as done; the stranger's held offer as spam
    assert intake(config, "requests", "close", "REQ-1001").output == "REQ-1001 done\n"
    spam = intake(config, "requests", "close", "REQ-1002", "--as", "spam")
    assert "later mail from seo@offers.example is held without a notice" in spam.output
    rows = json.loads(intake(config, "requests", "list", "--json").output)
    assert [r["status"] for r in rows] == ["done", "declined"]
    # Closing what cannot close is one line, exit code 2
    again = intake(config, "requests", "close", "REQ-1002", "--as", "spam")
    assert again.exit_code == 2 and "REQ-1002 is not held" in again.output


def test_a_request_is_opened_for_a_client_from_the_command_line(config):
    intake(config, "db", "upgrade")
    intake(config, "clients", "import", str(CLIENTS_FILE))
    # When Dana opens a request for Acme after a call
    opened = intake(
        config, "requests", "open", "acme", "Checkout fails on mobile", "--text", "Alice called."
    )
    # Then it is Acme's, in its main contact's name, and its emails wait to be sent
    assert opened.exit_code == 0, opened.output
    assert opened.output.startswith("REQ-1001 opened for acme; 2 emails wait in the outbox")
    [row] = json.loads(intake(config, "requests", "list", "--json").output)
    assert (row["client"], row["contact"]) == ("acme", "alice@acme.example")
    assert row["subject"] == "Checkout fails on mobile" and row["status"] != "held"
    # and a client that does not exist is one line, with nothing stored
    wrong = intake(config, "requests", "open", "acmee", "x", "--text", "y")
    assert wrong.exit_code == 2 and "there is no client 'acmee'" in wrong.output
    assert len(json.loads(intake(config, "requests", "list", "--json").output)) == 1

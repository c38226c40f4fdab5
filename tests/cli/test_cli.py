"""The `intake` command: its JSON shapes and its one-line errors."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from intake.cli.main import cli
from intake.db import make_engine, session_factory, transaction
from intake.mail.filing import file_batch
from intake.mail.store import Fetched, store_raw
from intake.settings import load_settings
from tests.mailbuilder import message

ROOT = Path(__file__).parents[2]
CLIENTS = ROOT / "config" / "clients.example.toml"


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
    result = intake(config, "clients", "import", str(CLIENTS))
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


def test_requests_list_show_and_status_json_shapes(config):
    intake(config, "clients", "import", str(CLIENTS))
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
        "failed": 1,
        "pending": 0,
    }
    # The reply to Alice, staff told of her request and of her follow-up, and of the stranger.
    assert status["outbox"] == {"pending": 4, "sent": 0, "failed": 0}


def test_parked_mail_can_be_retried(config):
    intake(config, "clients", "import", str(CLIENTS))
    file_mail(config, [bytes(range(256))])
    result = intake(config, "requests", "retry", "--all")
    assert result.exit_code == 0 and "inbound 1: failed" in result.output


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

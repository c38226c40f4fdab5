"""`intake run` and `run --once` try the SMTP server once as they start: a wrong [smtp]
is one line at once, while a server that only defers mail lets them start."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from click.testing import CliRunner

from intake.cli.main import cli
from intake.db import make_engine, session_factory, transaction
from intake.outbox.models import OutboundMessage
from tests.integration.test_poller import imap_of, smtp_of
from tests.mailbuilder import message
from tests.servers.smtp import SmtpSink
from workers import runner

ROOT = Path(__file__).resolve().parents[2]


def write_config(path: Path, db_url: str, smtp: str) -> Path:
    """Settings whose IMAP server is nowhere: only a check before the poller can speak."""
    path.write_text(
        f'database_url = "{db_url}"\n'
        '[imap]\nhost = "127.0.0.1"\nport = 1\nsecurity = "none"\n'
        f'[smtp]\nsecurity = "none"\n{smtp}'
    )
    return path


def intake(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "intake.cli", "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def assert_one_line(done: subprocess.CompletedProcess[str], starts: str) -> None:
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    assert done.stderr.startswith(f"intake: {starts}"), done.stderr
    assert done.stderr.strip().count("\n") == 0, done.stderr


def test_an_unreachable_smtp_server_stops_run_once_at_once(sqlite_url, tmp_path):
    # Given an [smtp] server nobody listens on
    config = write_config(tmp_path / "intake.toml", sqlite_url, 'host = "127.0.0.1"\nport = 1\n')
    # When `run --once` starts (its own limit is an hour)
    started = time.monotonic()
    done = intake(config, "run", "--once")
    # Then it stops within seconds, on one line naming smtp.host
    assert time.monotonic() - started < 30
    assert_one_line(done, "smtp.host: cannot reach 127.0.0.1:1: connection refused")


def test_the_service_starts_through_an_smtp_outage_and_keeps_the_replies(
    dovecot, make_settings, sqlite_url
):
    # Given an SMTP server that is down as the long-running service starts
    settings = make_settings(
        database_url=sqlite_url,
        imap=imap_of(dovecot),
        smtp={"host": "127.0.0.1", "port": 1, "security": "none"},
    )
    dovecot.append(message(subject="Checkout broken"))
    stop = threading.Event()
    service = threading.Thread(target=runner.run, args=(settings, stop))
    service.start()
    try:
        # When it runs, then it files the mail and keeps the replies for later, as for
        # an outage that starts after it
        deadline = time.monotonic() + 30
        # (no clients here: the stranger's mail is held and staff are to be told)
        while outbox_states(sqlite_url) != ["pending"]:
            assert service.is_alive(), "the service stopped"
            assert time.monotonic() < deadline, outbox_states(sqlite_url)
            time.sleep(0.1)
        time.sleep(1.0)
        assert service.is_alive() and outbox_states(sqlite_url) == ["pending"]
    finally:
        stop.set()
        service.join(timeout=30)


def outbox_states(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        with transaction(session_factory(engine)) as session:
            return list(session.scalars(sa.select(OutboundMessage.state)))
    finally:
        engine.dispose()


def test_workers_with_no_redis_stop_on_one_line(sqlite_url, tmp_path):
    # Given a redis_url nobody answers on, and two worker processes asked for
    config = write_config(tmp_path / "intake.toml", sqlite_url, "")
    config.write_text('redis_url = "redis://127.0.0.1:1/0"\n' + config.read_text())
    # When they start, then one line names redis_url, before any process is started
    assert_one_line(intake(config, "worker", "--processes", "2"), "redis_url: cannot reach")


def test_a_rejected_smtp_login_stops_run_once_naming_the_settings(sqlite_url, tmp_path):
    # Given an SMTP server that wants a login, and the wrong password in the settings
    sink = SmtpSink(auth_required=("intake", "right")).start()
    try:
        smtp = f'host = "{sink.host}"\nport = {sink.port}\nusername = "intake"\npassword = "no"\n'
        config = write_config(tmp_path / "intake.toml", sqlite_url, smtp)
        # When `run --once` starts
        done = intake(config, "run", "--once")
    finally:
        sink.stop()
    # Then one line names the settings to fix
    assert_one_line(done, "smtp.username/smtp.password: ")


def test_a_server_that_defers_mail_passes_the_start_up_check(dovecot, make_settings, sqlite_url):
    # Given an SMTP server that wants a login and answers every DATA "try again later"
    sink = SmtpSink(auth_required=("intake", "pw")).start()
    sink.refusing = True
    try:
        settings = make_settings(
            database_url=sqlite_url,
            imap=imap_of(dovecot),
            smtp={**smtp_of(sink), "username": "intake", "password": "pw"},
        )
        # When `run --once` starts on an empty mailbox
        stored = runner.run_once(settings, timeout=30)
        # Then it started and finished: the check logged in and sent nothing it could refuse
        assert stored == 0
        assert sink.logins == ["intake"] and sink.messages == []
    finally:
        sink.stop()


def test_the_readme_steps_run_as_written_from_a_new_folder(
    tmp_path, monkeypatch, dovecot, smtp_sink
):
    # Given a new folder holding a copy of the example settings, with the servers given by
    # INTAKE_ variables as README says they may be, and a client's mail waiting
    monkeypatch.chdir(tmp_path)
    (tmp_path / "intake.toml").write_bytes((ROOT / "config" / "intake.example.toml").read_bytes())
    servers = {
        "IMAP__HOST": dovecot.host,
        "IMAP__PORT": str(dovecot.port),
        "IMAP__SECURITY": "none",
        "IMAP__USERNAME": dovecot.user,
        "IMAP__PASSWORD": dovecot.password,
        "SMTP__HOST": smtp_sink.host,
        "SMTP__PORT": str(smtp_sink.port),
        "SMTP__SECURITY": "none",
    }
    for key, value in servers.items():
        monkeypatch.setenv(f"INTAKE_{key}", value)
    dovecot.append(message(subject="Checkout returns error 500"))
    # When README's steps run: the schema, the clients, one run
    steps = [
        ["db", "upgrade"],
        ["clients", "import", str(ROOT / "config" / "clients.example.toml")],
        ["run", "--once"],
    ]
    for step in steps:
        done = CliRunner().invoke(cli, ["--config", "intake.toml", *step])
        # Then each succeeds
        assert done.exit_code == 0, (step, done.output)
    # and the client has her answer, and the database is where the settings put it
    assert [m.rcpt_tos for m in smtp_sink.messages if "alice@acme.example" in m.rcpt_tos]
    assert (tmp_path / "intake.db").exists()

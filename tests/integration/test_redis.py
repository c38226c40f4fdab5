"""Workers on Redis: the queue carries work, the database keeps it. Losing Redis's
contents loses nothing; separate poll and worker processes file everything."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

import redis
import sqlalchemy as sa
from click.testing import CliRunner

from intake.cli.main import cli
from intake.db import transaction
from intake.mail.models import Filing, InboundMessage
from intake.settings import load_settings
from tests.integration.test_crash import (
    ROOT,
    intake,
    pending,
    setup_clients,
    write_config,
)
from tests.mailbuilder import message
from workers import broker as brokers
from workers import runner
from workers.poller import Poller


def filings(factory) -> list[Filing]:
    with transaction(factory) as session:
        return list(session.scalars(sa.select(InboundMessage.filing).order_by(InboundMessage.uid)))


def test_run_once_on_redis_and_postgresql(dovecot, smtp_sink, pg_url, redis_queue, tmp_path):
    dovecot.append_many([message(subject=f"R{n}") for n in range(12)])
    dovecot.append(message(sender="nobody@nowhere.example"))
    engine, factory = setup_clients(pg_url)
    settings = load_settings(
        write_config(tmp_path / "intake.toml", pg_url, dovecot, smtp_sink, redis_queue)
    )
    assert runner.run_once(settings, timeout=60) == 13
    assert filings(factory) == [Filing.REQUEST] * 12 + [Filing.HELD]
    engine.dispose()


def test_jobs_lost_with_redis_are_swept_back(dovecot, smtp_sink, pg_url, redis_queue, tmp_path):
    # Given mail stored and enqueued, then Redis loses every job (a restart without disk)
    dovecot.append_many([message(subject=f"L{n}") for n in range(8)])
    engine, factory = setup_clients(pg_url)
    settings = load_settings(
        write_config(tmp_path / "intake.toml", pg_url, dovecot, smtp_sink, redis_queue)
    )
    rt = brokers.setup(settings)
    assert Poller(rt).run_once() == 8
    redis.Redis.from_url(redis_queue).flushdb()
    # When a worker runs with the sweeper
    with runner.workers_running(rt):
        runner.wait_until_settled(rt, timeout=60)
    # Then nothing was lost
    assert pending(factory) == 0 and filings(factory) == [Filing.REQUEST] * 8
    rt.broker.close()
    engine.dispose()


def test_separate_poll_and_worker_processes(dovecot, smtp_sink, pg_url, redis_queue, tmp_path):
    engine, factory = setup_clients(pg_url)
    config = write_config(tmp_path / "intake.toml", pg_url, dovecot, smtp_sink, redis_queue)
    poller = intake(config, "poll")
    worker = intake(config, "worker", "--processes", "2", "--threads", "2")
    try:
        dovecot.append_many([message(subject=f"P{n}") for n in range(20)])
        deadline = time.monotonic() + 60
        while len(filings(factory)) < 20 or pending(factory):
            assert poller.poll() is None and worker.poll() is None
            assert time.monotonic() < deadline, "mail was not filed"
            time.sleep(0.1)
    finally:
        for process in (poller, worker):
            process.send_signal(signal.SIGTERM)
        for process in (poller, worker):
            process.wait(timeout=30)
    assert filings(factory) == [Filing.REQUEST] * 20
    assert poller.returncode == 0 and worker.returncode == 0
    engine.dispose()


def test_an_unreachable_redis_is_one_line_naming_the_setting(
    tmp_path, sqlite_url, dovecot, smtp_sink
):
    config = write_config(
        tmp_path / "intake.toml", sqlite_url, dovecot, smtp_sink, "redis://127.0.0.1:1/0"
    )
    done = subprocess.run(
        [sys.executable, "-m", "intake.cli", "--config", str(config), "run", "--once"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr.startswith("intake: redis_url: cannot reach redis://127.0.0.1:1/0")
    assert "Traceback" not in done.stderr


def test_poll_without_a_queue_is_one_line_and_leaves_the_mailbox_alone(dovecot, tmp_path):
    # Given mail waiting, and settings with no redis_url
    uid = dovecot.append(message())
    config = tmp_path / "intake.toml"
    config.write_text(
        f'database_url = "sqlite:///{tmp_path / "intake.db"}"\n'
        f'[imap]\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
        f'username = "{dovecot.user}"\npassword = "{dovecot.password}"\n'
    )
    # When `intake poll` starts
    done = CliRunner().invoke(cli, ["--config", str(config), "poll"])
    # Then one line names the setting, and the message is not flagged read
    assert done.exit_code == 1 and done.output.startswith("intake: redis_url: `intake poll`")
    assert b"\\Seen" not in dovecot.flags(uid)

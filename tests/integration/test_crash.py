"""Exactly once under crashes: kill the poller or a worker at any moment, restart, and
every message is still filed exactly once and every reply sent."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from intake.db import make_engine, session_factory, transaction
from intake.mail.models import Filing, InboundMessage
from intake.mail.store import count_pending
from intake.outbox.delivery import count_unsent
from intake.requests.models import Request
from intake.settings import load_settings
from tests.factories import add_example_clients
from tests.mailbuilder import message
from workers import broker as brokers
from workers import filing
from workers.poller import Poller

ROOT = Path(__file__).parents[2]


# Worker threads of each process the tests kill: each may be sending an email.
THREADS = 4


def write_config(path: Path, db_url: str, dovecot, smtp, redis_url: str = "") -> Path:
    path.write_text(
        f'database_url = "{db_url}"\n'
        f'redis_url = "{redis_url}"\n'
        "[imap]\n"
        f'host = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
        f'username = "{dovecot.user}"\npassword = "{dovecot.password}"\n'
        "batch_size = 10\n"
        "[smtp]\n"
        f'host = "{smtp.host}"\nport = {smtp.port}\nsecurity = "none"\n'
        "[[staff]]\n"
        'email = "dana@agency.example"\n'
        f"[queue]\nbatch_size = 5\nworker_threads = {THREADS}\n"
        "[sweeper]\nstale_after = 1.0\ninterval = 1.0\n"
        # Every request answered: the flood limit is not what these tests are about.
        "[replies]\nmax_automatic_per_hour = 1000\n"
    )
    return path


def setup_clients(db_url: str):
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        add_example_clients(session)
    return engine, factory


def intake(config: Path, *args: str) -> subprocess.Popen[bytes]:
    """Start `intake ARGS`; its log goes to a file beside the config (read on failure)."""
    log = config.parent / f"{args[0]}-{time.monotonic_ns()}.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "intake.cli", "--config", str(config), *args],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
        cwd=ROOT,
    )
    process.log = log  # type: ignore[attr-defined]
    return process


def log_of(process: subprocess.Popen[bytes]) -> str:
    return process.log.read_text(errors="replace")[-3000:]  # type: ignore[attr-defined]


def stored(factory) -> int:
    with transaction(factory) as session:
        return int(session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) or 0)


def pending(factory) -> int:
    with transaction(factory) as session:
        return count_pending(session)


def kill_when(process: subprocess.Popen[bytes], condition, timeout: float = 120) -> None:
    """SIGKILL the process the moment ``condition`` holds (it is mid-work then)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert process.poll() is None, log_of(process)
        assert time.monotonic() < deadline, "the process made no progress"
        time.sleep(0.01)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def assert_replied_once(factory, sink, count: int, kills: int) -> None:
    """Each request got one reply and one staff notice, all sent; the sink saw every
    recorded Message-ID, and a repeat only where a kill fell between SMTP's accept and
    our commit: at most one a sending thread of each process killed."""
    from intake.outbox.models import OutboundMessage

    with transaction(factory) as session:
        rows = session.execute(
            sa.select(OutboundMessage.request_id, OutboundMessage.message_id, OutboundMessage.state)
        ).all()
    assert len(rows) == 2 * count and {state for _, _, state in rows} == {"sent"}
    per_request = {}
    for request_id, _, _ in rows:
        per_request[request_id] = per_request.get(request_id, 0) + 1
    assert set(per_request.values()) == {2}
    seen = [m.raw.split(b"Message-ID: <", 1)[1].split(b">", 1)[0].decode() for m in sink.messages]
    assert set(seen) == {mid for _, mid, _ in rows}
    assert len(seen) - len(set(seen)) <= kills * THREADS


def assert_filed_exactly_once(factory, count: int) -> None:
    with transaction(factory) as session:
        rows = session.execute(
            sa.select(InboundMessage.message_id, InboundMessage.filing, InboundMessage.request_id)
        ).all()
        numbers = sorted(session.scalars(sa.select(Request.number)))
    assert len(rows) == count, "a message was stored twice or lost"
    assert len({mid for mid, _, _ in rows}) == count
    assert {filing for _, filing, _ in rows} == {Filing.REQUEST}
    assert len({rid for _, _, rid in rows}) == count, "two messages share one request"
    # References are unique and increasing; on PostgreSQL a filing that was rolled back
    # (a kill, a deadlock retried) may leave a number unused, never a number used twice.
    assert len(set(numbers)) == count and min(numbers) >= 1001


def test_killing_the_poller_mid_batch_files_every_message_once(
    dovecot, smtp_sink, db_url, tmp_path
):
    # Given 150 new requests in the mailbox
    count = 150
    dovecot.append_many(
        [
            message(subject=f"Request {n}", message_id=f"crash-{n}@acme.example")
            for n in range(count)
        ]
    )
    engine, factory = setup_clients(db_url)
    config = write_config(tmp_path / "intake.toml", db_url, dovecot, smtp_sink)
    # When `intake run --once` is killed with SIGKILL several times part-way
    for round_ in range(1, 5):
        process = intake(config, "run", "--once")
        kill_when(process, lambda r=round_: stored(factory) >= r * count // 5)
    # And then allowed to finish
    process = intake(config, "run", "--once", "--timeout", "120")
    assert process.wait(timeout=180) == 0, log_of(process)
    # Then every message became exactly one request, and all are \Seen on the server
    assert_filed_exactly_once(factory, count)
    assert_replied_once(factory, smtp_sink, count, kills=4)
    assert all(b"\\Seen" in dovecot.flags(uid) for uid in dovecot.uids())
    engine.dispose()


def test_killing_a_worker_mid_job_files_every_message_once(
    dovecot, smtp_sink, pg_url, redis_queue, tmp_path
):
    # Given 300 messages stored by the poller and queued on Redis, no worker running yet
    count = 300
    dovecot.append_many(
        [message(subject=f"Job {n}", message_id=f"job-{n}@acme.example") for n in range(count)]
    )
    engine, factory = setup_clients(pg_url)
    config = write_config(tmp_path / "intake.toml", pg_url, dovecot, smtp_sink, redis_queue)
    settings = load_settings(config)
    rt = brokers.setup(settings)
    assert Poller(rt).run_once() == count
    # When worker processes are killed with SIGKILL part-way through, several times
    for round_ in range(1, 4):
        worker = intake(config, "worker", "--processes", "1", "--threads", str(THREADS))
        kill_when(worker, lambda r=round_: count - pending(factory) >= r * count // 4)
    assert pending(factory) > 0, "the kills should have left work unfinished"
    # Then a new worker and the sweeper finish the rest
    worker = intake(config, "worker", "--processes", "1", "--threads", str(THREADS))
    try:
        deadline = time.monotonic() + 120
        while True:
            filing.sweep()
            with transaction(factory) as session:
                if count_pending(session) == 0 and count_unsent(session) == 0:
                    break
            assert time.monotonic() < deadline, "work did not finish"
            time.sleep(1.5)
    finally:
        worker.send_signal(signal.SIGTERM)
        worker.wait(timeout=30)
    assert_filed_exactly_once(factory, count)
    assert_replied_once(factory, smtp_sink, count, kills=3)
    rt.broker.close()
    engine.dispose()

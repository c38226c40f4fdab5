"""What the benchmarks share: a throwaway Dovecot, a fresh PostgreSQL database, Redis, a
config file, mixed sample mail, and peak RSS of a process tree."""

from __future__ import annotations

import logging
import os
import random
import resource
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import mailparser
import redis
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.clients.service import import_clients, read_clients_file  # noqa: E402
from intake.db import make_engine, session_factory, transaction, upgrade  # noqa: E402
from tests.mailbuilder import message  # noqa: E402
from tests.servers.dovecot import Dovecot  # noqa: E402
from tests.servers.smtp import SmtpSink  # noqa: E402

PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
REDIS_URL = "redis://127.0.0.1:6379/14"
FIXTURES = ROOT / "tests" / "fixtures" / "mail"
CLIENTS = ROOT / "config" / "clients.example.toml"


def fresh_postgres(name: str = "intake_bench", clients: bool = True) -> str:
    """A new, migrated database, with the example clients unless ``clients`` is False."""
    admin = sa.create_engine(f"{PG_SERVER}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        conn.execute(sa.text(f"CREATE DATABASE {name}"))
    admin.dispose()
    url = f"{PG_SERVER}/{name}"
    engine = make_engine(url)
    upgrade(engine)
    if clients:
        plans = frozenset({"none", "basic", "professional", "premium"})
        with transaction(session_factory(engine)) as session:
            import_clients(session, read_clients_file(CLIENTS, plans))
    engine.dispose()
    return url


def fresh_redis() -> str:
    redis.Redis.from_url(REDIS_URL).flushdb()
    return REDIS_URL


def write_config(
    folder: Path, db_url: str, dovecot: Dovecot, smtp: SmtpSink, redis_url: str, **queue: int
) -> Path:
    path = folder / "intake.toml"
    lines = [
        f'database_url = "{db_url}"',
        f'redis_url = "{redis_url}"',
        "[imap]",
        f'host = "{dovecot.host}"',
        f"port = {dovecot.port}",
        'security = "none"',
        f'username = "{dovecot.user}"',
        f'password = "{dovecot.password}"',
        "[smtp]",
        f'host = "{smtp.host}"',
        f"port = {smtp.port}",
        'security = "none"',
        "[replies]",
        "max_automatic_per_hour = 1000000",
        "[[staff]]",
        'email = "dana@agency.example"',
        "[queue]",
        *(f"{key} = {value}" for key, value in queue.items()),
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


def mixed_mail(count: int, seed: int = 1) -> list[bytes]:
    """New requests, replies, machine mail and the suite's real-world fixtures, ~14 KB mean."""
    rng = random.Random(seed)
    fixtures = [
        p.read_bytes() for p in sorted(FIXTURES.glob("*.eml")) if p.stat().st_size < 200_000
    ]
    senders = [
        "alice@acme.example",
        "zoe@zed.example",
        "new.person@acme.example",
        "stranger@elsewhere.example",
    ]
    out: list[bytes] = []
    for n in range(count):
        roll = rng.random()
        if fixtures and roll < 0.15:
            raw = fixtures[n % len(fixtures)]
            # Give each copy its own Message-ID so it is a distinct message.
            out.append(raw.replace(b"Message-ID: <", f"Message-ID: <b{n}.".encode(), 1))
            continue
        body = (
            "Hello,\n\n"
            + "".join(
                rng.choice(
                    [
                        "The checkout fails. ",
                        "Could you add an export? ",
                        "Error 500. ",
                        "How do I reset a password? ",
                        "All users are blocked. ",
                    ]
                )
                for _ in range(rng.randint(20, 120))
            )
            + "\n\nThanks\n"
        )
        attachments = []
        if roll > 0.75:
            attachments = [("log.txt", "text/plain", rng.randbytes(rng.randint(10_000, 60_000)))]
        headers = {"Auto-Submitted": "auto-replied"} if roll > 0.95 else None
        in_reply_to = f"bench-{n - 1}@acme.example" if 0.15 <= roll < 0.3 and n else None
        out.append(
            message(
                sender=senders[n % len(senders)],
                subject=f"Bench request {n}",
                message_id=f"bench-{n}@acme.example",
                body=body,
                attachments=attachments,
                headers=headers,
                in_reply_to=in_reply_to,
            )
        )
    return out


def yardstick(count: int = 1000) -> str:
    """How fast this machine is at this hour, in the issues' own unit: messages a second
    mail-parser alone parses on one core, on the ingest mix (the issues give about 570
    for the machine their targets were set on). This machine's speed drifts by up to
    three times within a day, so every figure is printed beside it."""
    logging.getLogger("mailparser").setLevel(logging.ERROR)  # "content not handled"
    raws = mixed_mail(count, seed=2)
    started = time.process_time()
    for raw in raws:
        mailparser.parse_from_bytes(raw)
    rate = count / (time.process_time() - started)
    return f"yardstick: mail-parser alone parses {rate:.0f} messages/s on one core now"


class PeakRss:
    """Samples the summed RSS of a process and its children until stopped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stop.wait(0.1):
            self.peak_kb = max(self.peak_kb, tree_rss_kb(self.pid))


def tree_rss_kb(pid: int) -> int:
    """The summed RSS of a process and its descendants, read from /proc: only the tree's
    own files, so sampling ten times a second takes next to nothing from the processes
    measured."""
    page_kb = os.sysconf("SC_PAGE_SIZE") // 1024
    total = 0
    for process in _tree(pid):
        try:
            with open(f"/proc/{process}/statm") as statm:
                total += int(statm.read().split()[1]) * page_kb  # resident pages
        except OSError:
            continue  # the process ended while we looked
    return total


def _tree(pid: int) -> Iterator[int]:
    """A process and its descendants (the kernel lists each thread's children)."""
    todo = [pid]
    while todo:
        process = todo.pop()
        yield process
        try:
            for task in os.listdir(f"/proc/{process}/task"):
                with open(f"/proc/{process}/task/{task}/children") as children:
                    todo += [int(child) for child in children.read().split()]
        except OSError:
            continue  # the process ended while we looked


def _processes() -> Iterator[tuple[int, str, list[str]]]:
    """Each running process: its pid, its name and the fields of /proc/<pid>/stat after
    the name (so fields[0] is the state, field 3 of proc(5))."""
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                line = stat.read()
        except OSError:
            continue  # the process ended while we looked
        name, _, rest = line.partition("(")[2].rpartition(")")
        yield int(entry), name, rest.split()


class CpuMeter:
    """CPU seconds spent while it runs, by everything the benchmark runs on the two cores:
    this process's children that have ended (the intake processes, once waited for), the
    PostgreSQL server, this process itself (the aiosmtpd sink, and the samplers), Dovecot
    (the benchmark's own, a child of this process) and Redis. Steadier than wall time on a
    shared machine, and it says where the time goes."""

    def __enter__(self) -> CpuMeter:
        self._children = _children_cpu()
        self._postgres = postgres_cpu()
        self._sink = _own_cpu()
        self._servers = _servers_cpu()
        self.intake = self.postgres = self.sink = self.dovecot_redis = 0.0
        return self

    def __exit__(self, *exc: object) -> None:
        self.intake = _children_cpu() - self._children
        self.postgres = postgres_cpu() - self._postgres
        self.sink = _own_cpu() - self._sink
        self.dovecot_redis = _servers_cpu() - self._servers

    def per_item(self, count: int) -> str:
        """Milliseconds of CPU an item, by part, and their sum."""
        parts = {
            "intake": self.intake,
            "PostgreSQL": self.postgres,
            "SMTP sink": self.sink,
            "Dovecot + Redis": self.dovecot_redis,
        }
        shown = ", ".join(f"{name} {sec / count * 1000:.1f}" for name, sec in parts.items())
        return f"{shown}; all {sum(parts.values()) / count * 1000:.1f} ms"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _servers_cpu() -> float:
    """CPU seconds of the Redis server and of the processes under this one that are not
    Python (Dovecot, started in the foreground by the benchmark), ended children included."""
    ours = set(_tree(os.getpid()))
    ticks = sum(
        sum(int(f) for f in fields[11:15])
        for pid, name, fields in _processes()
        if (pid in ours and not name.startswith("python")) or name == "redis-server"
    )
    return ticks / os.sysconf("SC_CLK_TCK")


def postgres_cpu() -> float:
    """CPU seconds of the PostgreSQL server: its processes and their ended children."""
    # Its own time and that of its ended children (fields 14-17 of proc(5)): backends
    # exit with their connections and their time moves to the postmaster.
    ticks = sum(
        sum(int(f) for f in fields[11:15]) for _, name, fields in _processes() if name == "postgres"
    )
    return ticks / os.sysconf("SC_CLK_TCK")


def intake(config: Path, *args: str, log: Path | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "intake.cli", "--config", str(config), *args],
        stdout=subprocess.DEVNULL,
        stderr=(log.open("wb") if log else subprocess.DEVNULL),
        cwd=ROOT,
    )


def wait(condition, timeout: float, every: float = 0.005) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not reached")
        time.sleep(every)

"""Latency: with `intake run` idling in IMAP IDLE, APPEND one message and time until its
request exists in the database (--until filed) or until the client's reply reaches the
SMTP sink (--until reply); p50 and p99 over N messages.

    python -m bench.latency [--samples 50] [--queue redis|inprocess] [--until filed|reply]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import sqlalchemy as sa

from bench.common import fresh_postgres, fresh_redis, intake, message, wait, write_config
from intake.db import make_engine
from tests.servers.dovecot import Dovecot
from tests.servers.smtp import SmtpSink


def run(samples: int, queue: str, until: str) -> list[float]:
    folder = Path(tempfile.mkdtemp(prefix="intake-latency-"))
    with Dovecot() as dovecot, SmtpSink() as sink:
        db_url = fresh_postgres("intake_latency")
        redis_url = fresh_redis() if queue == "redis" else ""
        config = write_config(folder, db_url, dovecot, sink, redis_url, worker_threads=4)
        engine = make_engine(db_url)
        service = intake(config, "run", log=folder / "run.log")
        try:
            with engine.connect() as conn:
                wait(
                    lambda: (
                        conn.execute(sa.text("SELECT count(*) FROM mailbox_cursors")).scalar_one()
                        == 1
                    ),
                    60,
                    every=0.05,
                )
                conn.commit()
            time.sleep(1.0)  # let it settle into IDLE
            timings = []
            for n in range(samples):
                mid = f"latency-{n}@acme.example"
                raw = message(subject=f"Latency {n}", message_id=mid)
                query = sa.text(
                    "SELECT count(*) FROM inbound_messages "
                    "WHERE message_id = :m AND request_id IS NOT NULL"
                )
                with engine.connect() as conn:
                    started = time.monotonic()
                    dovecot.append(raw)

                    def filed(conn=conn, mid=mid, query=query) -> bool:
                        found = conn.execute(query, {"m": mid}).scalar_one() == 1
                        conn.commit()
                        return found

                    def replied(mid=mid) -> bool:
                        marker = f"In-Reply-To: <{mid}>".encode()
                        return any(marker in m.raw for m in sink.messages)

                    wait(filed if until == "filed" else replied, 30, every=0.002)
                    timings.append(time.monotonic() - started)
                time.sleep(0.3)
        finally:
            service.terminate()
            service.wait(timeout=30)
            engine.dispose()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--samples", type=int, default=50)
    parser.add_argument("--queue", choices=["redis", "inprocess"], default="redis")
    parser.add_argument("--until", choices=["filed", "reply"], default="filed")
    args = parser.parse_args()
    timings = sorted(run(args.samples, args.queue, args.until))
    p50 = statistics.median(timings)
    p99 = timings[min(len(timings) - 1, round(0.99 * (len(timings) - 1)))]
    print(
        f"latency ({args.queue} queue, PostgreSQL): APPEND -> {args.until} over "
        f"{len(timings)} messages: p50 {p50:.3f} s, p99 {p99:.3f} s, max {timings[-1]:.3f} s"
    )


if __name__ == "__main__":
    main()

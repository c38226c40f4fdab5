"""Ingest: N mixed messages APPENDed to Dovecot, then `intake run --once` with PostgreSQL
and Redis workers. Prints messages filed per second and peak RSS (run with two sizes to
see that memory does not grow with the number of messages).

    python bench/ingest.py [--messages 5000] [--workers 1]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench.common import (
    CpuMeter,
    PeakRss,
    fresh_postgres,
    fresh_redis,
    intake,
    mixed_mail,
    write_config,
    yardstick,
)
from intake.db import make_engine
from tests.servers.dovecot import Dovecot
from tests.servers.smtp import SmtpSink


def run(messages: int, workers: int) -> dict[str, Any]:
    folder = Path(tempfile.mkdtemp(prefix="intake-bench-"))
    with Dovecot() as dovecot, SmtpSink() as sink:
        raws = mixed_mail(messages)
        dovecot.append_many(raws)
        db_url = fresh_postgres()
        config = write_config(
            folder, db_url, dovecot, sink, fresh_redis(), worker_threads=4, batch_size=50
        )
        engine = make_engine(db_url)
        extra = [
            intake(
                config,
                "worker",
                "--processes",
                "1",
                "--threads",
                "4",
                log=folder / f"worker-{n}.log",
            )
            for n in range(workers)
        ]
        with CpuMeter() as cpu:
            started = time.monotonic()
            run_once = intake(config, "run", "--once", log=folder / "run.log")
            with PeakRss(run_once.pid) as main_rss:
                rss = [PeakRss(p.pid).__enter__() for p in extra]
                code = run_once.wait()
                elapsed = time.monotonic() - started
                for sampler in rss:
                    sampler.__exit__()
            for p in extra:
                p.terminate()
                p.wait()
        if code != 0:
            raise SystemExit((folder / "run.log").read_text()[-3000:])
        with engine.connect() as conn:
            filed = conn.execute(
                sa.text("SELECT count(*) FROM inbound_messages WHERE filing != 'pending'")
            ).scalar_one()
        engine.dispose()
        replies = len(sink.messages)
    return {
        "replies": replies,
        "messages": messages,
        "filed": filed,
        "seconds": elapsed,
        "per_second": filed / elapsed,
        "peak_rss_mb": (main_rss.peak_kb + sum(s.peak_kb for s in rss)) / 1024,
        "mean_kb": sum(len(r) for r in raws) / len(raws) / 1024,
        "intake_ms": cpu.intake / filed * 1000,
        "postgres_ms": cpu.postgres / filed * 1000,
        "cpu": cpu.per_item(filed),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=1, help="extra `intake worker` processes")
    args = parser.parse_args()
    print(yardstick())
    result = run(args.messages, args.workers)
    print(
        f"ingest: {result['filed']}/{result['messages']} messages "
        f"(mean {result['mean_kb']:.1f} KB) filed in {result['seconds']:.1f} s = "
        f"{result['per_second']:.0f} messages/s; peak RSS {result['peak_rss_mb']:.0f} MB "
        f"(run --once + {args.workers} worker process); {result['replies']} replies sent; "
        f"CPU a message: {result['cpu']}"
    )


if __name__ == "__main__":
    main()

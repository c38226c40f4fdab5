"""Replies end to end: N new requests APPENDed to Dovecot, `intake run --once` with
PostgreSQL and Redis workers, until N client replies (quotes or no-charge
acknowledgements) have arrived at the SMTP sink. Prints replies per second and peak RSS.

    python -m bench.replies [--requests 2000] [--workers 1]
"""

from __future__ import annotations

import argparse
import random
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import (
    CpuMeter,
    PeakRss,
    fresh_postgres,
    fresh_redis,
    intake,
    message,
    write_config,
    yardstick,
)
from tests.servers.dovecot import Dovecot
from tests.servers.smtp import SmtpSink

ASKS = [
    ("Checkout returns error 500", "Since this morning the checkout fails for everyone."),
    ("Could you add a CSV export?", "Could you add an export of all orders to the admin?"),
    ("Plugin vulnerability", "Please update the gallery plugin, there is a security advisory."),
    ("How do I reset a password?", "How do I reset the password of one of our editors?"),
]
SENDERS = ["alice@acme.example", "zoe@zed.example"]


def run(count: int, workers: int) -> dict[str, Any]:
    rng = random.Random(3)
    folder = Path(tempfile.mkdtemp(prefix="intake-replies-"))
    with Dovecot() as dovecot, SmtpSink() as sink:
        raws = []
        for n in range(count):
            subject, body = rng.choice(ASKS)
            raws.append(
                message(
                    sender=SENDERS[n % 2],
                    subject=f"{subject} ({n})",
                    body=f"Hello,\n\n{body}\n\nThanks\n",
                    message_id=f"reply-bench-{n}@client.example",
                )
            )
        dovecot.append_many(raws)
        config = write_config(
            folder,
            fresh_postgres("intake_replies"),
            dovecot,
            sink,
            fresh_redis(),
            worker_threads=4,
            batch_size=50,
        )
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
            process = intake(config, "run", "--once", log=folder / "run.log")
            samplers = [
                PeakRss(process.pid).__enter__(),
                *(PeakRss(p.pid).__enter__() for p in extra),
            ]
            clients = 0
            while clients < count and process.poll() is None:
                clients = sum(1 for m in sink.messages if "dana@agency.example" not in m.rcpt_tos)
                time.sleep(0.05)
            elapsed = time.monotonic() - started
            process.wait()
            for sampler in samplers:
                sampler.__exit__()
            for p in extra:
                p.terminate()
                p.wait()
        clients = sum(1 for m in sink.messages if "dana@agency.example" not in m.rcpt_tos)
    return {
        "replies": clients,
        "seconds": elapsed,
        "per_second": clients / elapsed,
        "peak_rss_mb": sum(s.peak_kb for s in samplers) / 1024,
        "intake_ms": cpu.intake / max(clients, 1) * 1000,
        "postgres_ms": cpu.postgres / max(clients, 1) * 1000,
        "cpu": cpu.per_item(max(clients, 1)),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()
    print(yardstick())
    r = run(args.requests, args.workers)
    print(
        f"replies: {r['replies']}/{args.requests} client replies at the SMTP sink in "
        f"{r['seconds']:.1f} s = {r['per_second']:.0f} replies/s; peak RSS "
        f"{r['peak_rss_mb']:.0f} MB (run --once + {args.workers} worker process); CPU a "
        f"request: {r['cpu']}"
    )


if __name__ == "__main__":
    main()

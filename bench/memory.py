"""Memory while filing one large message: a client's request with an attachment of each
size, stored and then filed in a fresh process (SQLite, no queue), as a worker files it.
Prints the process's peak memory above what it held before filing began, against the
message's size: the budget is 3 times the size plus a constant. Each size is filed read in
full (imap.max_message_bytes raised above it), then as the default settings file it (a
message over the default 50 MB is held unread).

    python -m bench.memory [--sizes 5 30 100]
"""

from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT


def _status_kb(field: str) -> int:
    """A memory figure of this process from /proc/self/status (KB): VmRSS now, VmHWM peak."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _file_one(
    megabytes: int, folder: str, read_in_full: bool, database_url: str
) -> dict[str, float]:
    """In this (child) process: store one message with an attachment of ``megabytes`` MB,
    then file it; the peak memory of the filing alone."""
    import os

    from intake.db import make_engine, session_factory, transaction, upgrade
    from intake.filing.service import file_batch
    from intake.mail.store import Fetched, store_raw
    from intake.settings import load_settings
    from tests.factories import add_example_clients
    from tests.mailbuilder import message

    url = database_url or f"sqlite:///{folder}/memory.db"
    engine = make_engine(url)
    if database_url:  # a PostgreSQL database of the benchmark's own: emptied first
        with engine.begin() as connection:
            connection.exec_driver_sql("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    upgrade(engine)
    factory = session_factory(engine)
    imap = {"max_message_bytes": 1024 * 1024 * 1024} if read_in_full else {}
    settings = load_settings(
        None, database_url=url, max_attachment_bytes=200 * 1024 * 1024, imap=imap
    )
    with transaction(factory) as session:
        add_example_clients(session)
    raw = message(
        subject="The export file we get is attached",
        body="Hello,\n\nthe nightly export is attached; the totals are wrong.\n\nAlice\n",
        attachments=[
            (
                "export.csv",
                "text/csv",
                os.urandom(megabytes * 1024 * 1024 // 2).hex()[: megabytes * 1024 * 1024].encode(),
            )
        ],
    )
    size = len(raw)
    with transaction(factory) as session:
        [stored] = store_raw(session, "INBOX", 1, [Fetched(1, raw)])
    del raw
    gc.collect()
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    before = _status_kb("VmRSS")
    with transaction(factory) as session:
        file_batch(session, settings, [stored])
    peak = _status_kb("VmHWM")
    return {"size_mb": size / 1e6, "before_mb": before / 1e3, "peak_mb": peak / 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[5, 30, 100])
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--defaults", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument(
        "--database-url", default="", help="PostgreSQL to file into (default: a SQLite file)"
    )
    args = parser.parse_args()
    if args.child is not None:
        with tempfile.TemporaryDirectory() as folder:
            got = _file_one(args.child, folder, not args.defaults, args.database_url)
            print(json.dumps(got))
        return
    for megabytes, how in [(m, h) for h in ("read in full", "defaults") for m in args.sizes]:
        extra = ["--defaults"] if how == "defaults" else []
        extra += ["--database-url", args.database_url] if args.database_url else []
        out = subprocess.run(
            [sys.executable, "-m", "bench.memory", "--child", str(megabytes), *extra],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        got = json.loads(out.stdout.strip().splitlines()[-1])
        above = got["peak_mb"] - got["before_mb"]
        print(
            f"memory ({how}): a {got['size_mb']:.0f} MB message filed with a peak of "
            f"{got['peak_mb']:.0f} MB, {above:.0f} MB above the {got['before_mb']:.0f} MB "
            f"held before filing = {above / got['size_mb']:.1f} times its size"
        )


if __name__ == "__main__":
    main()

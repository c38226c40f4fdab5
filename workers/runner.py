"""The processes intake runs: `run` (poller + workers + scheduler), `run --once`, `poll`
and `worker`."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import dramatiq

from intake.classification.service import trained
from intake.db import check_connection
from intake.errors import AuthorizationLost, IntakeError, ServerUnreachable
from intake.filing.files import check_files
from intake.mail import store
from intake.outbox import delivery
from intake.outbox.smtp import SmtpConnection
from intake.settings import Settings
from workers import broker as brokers
from workers import filing, runtime
from workers.poller import Poller
from workers.scheduler import run_scheduler

log = logging.getLogger(__name__)

# `run --once`: seconds without any message filed or reply sent before it re-enqueues all.
STALLED_AFTER = 5.0


class WorkDidNotFinish(IntakeError):
    """`run --once` waited past its limit for stored mail to be filed."""


def _stop_on_signals(stop: threading.Event) -> None:
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())


@contextmanager
def workers_running(rt: runtime.Runtime, threads: int | None = None) -> Iterator[dramatiq.Worker]:
    worker = dramatiq.Worker(
        rt.broker,
        worker_threads=threads or rt.settings.queue.worker_threads,
        worker_timeout=rt.settings.queue.idle_poll_ms,
    )
    worker.start()
    try:
        yield worker
    finally:
        worker.stop()


def setup(settings: Settings, **engine: Any) -> runtime.Runtime:
    """This process's runtime, once the settings have been tried: the plans and rules files,
    the queue and the database. A wrong one stops the process here as one line, not later
    at the first message."""
    check_files(settings)
    rt = brokers.setup(settings, **engine)
    check_connection(rt.engine)
    return rt


def learn(rt: runtime.Runtime) -> None:
    """Train the classifier now, from the labelled set and the stored corrections, so the
    first request is not kept waiting for it (and a broken labelled file stops here)."""
    started = time.monotonic()
    with rt.transaction() as session:
        model = trained(session, rt.settings)
    log.info(
        "classifier trained on %d labelled requests in %.1f s",
        model.size,
        time.monotonic() - started,
    )


def check_smtp(rt: runtime.Runtime) -> None:
    """Connect (STARTTLS and login as configured) and QUIT, sending nothing: a wrong [smtp]
    raises ServerUnreachable or LoginRejected naming the setting. Each mailbox's server."""
    for mailbox in rt.settings.mailboxes:
        with SmtpConnection(mailbox.smtp, rt.factory):
            pass


def run_once(settings: Settings, timeout: float = 3600.0, **engine: Any) -> int:
    """Take all mail now in the mailbox, finish all work it causes, and return."""
    rt = setup(settings, **engine)
    check_smtp(rt)
    learn(rt)
    stop = threading.Event()
    with workers_running(rt):
        stored = sum(Poller(rt, stop, m.imap).run_once() for m in rt.settings.mailboxes)
        wait_until_settled(rt, timeout)
    rt.broker.close()
    return stored


def wait_until_settled(rt: runtime.Runtime, timeout: float) -> None:
    """Wait until the database shows nothing pending: all mail filed, all replies sent.
    Re-enqueue what seems lost, and everything at once when nothing has moved for a while
    (every step is idempotent, so a duplicate job costs a lookup, never a second reply)."""
    deadline = time.monotonic() + timeout
    stale_after = min(rt.settings.sweeper.stale_after, 30.0)
    last_sweep = last_change = time.monotonic()
    last_counts = (-1, -1)
    while True:
        with rt.transaction() as session:
            counts = (store.count_pending(session), delivery.count_unsent(session))
        if counts == (0, 0):
            return
        now = time.monotonic()
        if now > deadline:
            raise WorkDidNotFinish(
                f"after {timeout:.0f} s, {counts[0]} stored messages are not filed and "
                f"{counts[1]} replies are not sent (see `intake status`)"
            )
        if counts != last_counts:
            last_counts, last_change = counts, now
        elif now - last_change > STALLED_AFTER:
            log.warning(
                "nothing moved for %.0f s with %d messages unfiled and %d replies unsent: "
                "re-enqueueing them",
                now - last_change,
                *counts,
            )
            last_change = last_sweep = now
            filing.sweep(0.0)
        if now - last_sweep > stale_after:
            last_sweep = now
            filing.sweep(stale_after)
        time.sleep(0.05)


def run(settings: Settings, stop: threading.Event | None = None, **engine: Any) -> None:
    """Poller, workers and scheduler in one process until SIGINT/SIGTERM (or ``stop``)."""
    rt = setup(settings, **engine)
    try:
        check_smtp(rt)
    except (ServerUnreachable, AuthorizationLost) as exc:
        # A passing outage, as for IMAP, or a refresh token to renew by `intake auth login`
        # while the service runs: the outbox keeps the replies until then. A rejected
        # login is a setting to fix, and stops the service all the same.
        log.warning("%s; replies wait in the outbox until it answers", exc)
    learn(rt)
    stop = stop or threading.Event()
    _stop_on_signals(stop)
    scheduler = threading.Thread(target=run_scheduler, args=(rt, stop), daemon=True)
    with workers_running(rt):
        scheduler.start()
        filing.sweep()  # whatever an earlier run left unfinished
        try:
            poll_every_mailbox(rt, stop)
        finally:
            stop.set()
            scheduler.join(timeout=5)
    rt.broker.close()


def poll(settings: Settings) -> None:
    """The poller alone; workers run elsewhere (`intake worker`) on Redis."""
    if not settings.redis_url:
        # Without a queue the mail would be stored and flagged read, and nobody would file
        # it: refused before the mailbox is touched.
        raise IntakeError(
            "redis_url: `intake poll` hands mail to `intake worker` on Redis; set redis_url, "
            "or use `intake run`, which files mail itself"
        )
    rt = setup(settings)
    stop = threading.Event()
    _stop_on_signals(stop)
    poll_every_mailbox(rt, stop)


def poll_every_mailbox(rt: runtime.Runtime, stop: threading.Event) -> None:
    """One poller a mailbox until ``stop``: the first in this thread, the others each in
    its own. A poller whose server is down retries on its own; the others go on."""
    first, *others = rt.settings.mailboxes
    threads = [
        threading.Thread(
            target=Poller(rt, stop, mailbox.imap).run_forever,
            name=f"poller {mailbox.address}",
            daemon=True,
        )
        for mailbox in others
    ]
    for thread in threads:
        thread.start()
    try:
        Poller(rt, stop, first.imap).run_forever()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=10)


def worker(settings: Settings, processes: int | None = None, threads: int | None = None) -> None:
    """Worker processes on the Redis queue until SIGINT/SIGTERM."""
    if not settings.redis_url:
        raise IntakeError("redis_url: `intake worker` needs a Redis queue (set redis_url)")
    count = processes or settings.queue.worker_processes
    if count == 1:
        _worker_process(settings, threads)
        return
    # Here, before the children start: each would otherwise fail on its own, with a traceback.
    check_files(settings)
    brokers.make_broker(settings).close()  # Redis answers, or one line naming redis_url
    children = [
        multiprocessing.Process(target=_worker_process, args=(settings, threads), daemon=False)
        for _ in range(count)
    ]
    for child in children:
        child.start()
    stop = threading.Event()
    _stop_on_signals(stop)
    while not stop.wait(0.5) and any(c.is_alive() for c in children):
        pass
    for child in children:
        if child.is_alive():
            child.terminate()
    for child in children:
        child.join()


def _worker_process(settings: Settings, threads: int | None) -> None:
    rt = setup(settings)
    learn(rt)
    stop = threading.Event()
    _stop_on_signals(stop)
    with workers_running(rt, threads):
        stop.wait()
    rt.broker.close()

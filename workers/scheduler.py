"""Periodic work, as one table: which actor, how often. Runs as a thread of `intake run`."""

from __future__ import annotations

import logging
import threading
import time

from workers import runtime

log = logging.getLogger(__name__)


def schedule(rt: runtime.Runtime) -> list[tuple[str, float]]:
    """(actor, seconds between runs)."""
    return [
        ("sweep", rt.settings.sweeper.interval),
        ("check_sla", rt.settings.sla.check_interval),
        ("bill_last_month", rt.settings.billing.check_interval),
        ("look_after_accounts", rt.settings.billing.check_interval),
    ]


def run_scheduler(rt: runtime.Runtime, stop: threading.Event) -> None:
    due = {actor: time.monotonic() + every for actor, every in schedule(rt)}
    while not stop.wait(0.5):
        now = time.monotonic()
        for actor, every in schedule(rt):
            if now >= due[actor]:
                due[actor] = now + every
                try:
                    rt.send(actor)
                except Exception as exc:  # the next tick tries again
                    log.warning("could not schedule %s: %s", actor, exc)

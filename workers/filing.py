"""Actors of the filing stage: thin, take ids, safe to run twice."""

from __future__ import annotations

import logging

from intake.mail import store
from intake.mail.filing import file_batch
from workers import runtime

log = logging.getLogger(__name__)


def file_inbound(ids: list[int]) -> None:
    """File these stored messages (those still pending)."""
    rt = runtime.current()
    with rt.transaction() as session:
        store.count_attempt(session, ids)
    with rt.transaction() as session:
        outcomes = file_batch(session, rt.settings, ids)
    for outcome in outcomes:
        log.info(
            "inbound %s filed as %s%s%s",
            outcome.inbound_id,
            outcome.filing.value,
            f" {outcome.request_ref}" if outcome.request_ref else "",
            f" ({outcome.reason})" if outcome.reason else "",
        )


def sweep() -> None:
    """Re-enqueue what is stored but unfinished: after a Redis restart, a lost job, a
    killed worker. The database is the source of truth."""
    rt = runtime.current()
    with rt.transaction() as session:
        ids = store.claim_stale(session, rt.settings.sweeper.stale_after)
    if ids:
        log.info("sweeper re-enqueues %d pending messages", len(ids))
        enqueue_filing(ids)


def enqueue_filing(ids: list[int]) -> None:
    rt = runtime.current()
    size = rt.settings.queue.batch_size
    for start in range(0, len(ids), size):
        rt.send("file_inbound", ids[start : start + size])

"""Actors of the filing stage: thin, take ids, safe to run twice."""

from __future__ import annotations

import logging

from intake.errors import NewContactWanted
from intake.filing.outcome import Outcome
from intake.filing.service import file_batch, file_together
from intake.mail import store
from intake.outbox import delivery
from workers import runtime

log = logging.getLogger(__name__)


def file_inbound(ids: list[int]) -> None:
    """File these stored messages (those still pending)."""
    rt = runtime.current()
    with rt.transaction() as session:
        store.count_attempt(session, ids)
    outcomes: list[Outcome] = []
    remaining = sorted(set(ids))
    while remaining:
        try:
            # Most jobs file every message cleanly: one transaction and one commit for all.
            with rt.transaction() as session:
                filed = file_together(session, rt.settings, remaining)
            remaining = []
        except NewContactWanted as exc:  # rolled back whole; nothing of it was written
            # Up to that message one by one (it adds the contact), then the rest together.
            upto = [i for i in remaining if exc.inbound_id is None or i <= exc.inbound_id]
            log.info(
                "inbound %s is from a new contact (%s); %d filed one by one",
                exc.inbound_id,
                exc.address,
                len(upto),
            )
            filed = file_one_by_one(upto)
            remaining = remaining[len(upto) :]
        except Exception as exc:  # rolled back whole; nothing of it was written
            why = f"{type(exc).__name__}: {str(exc).partition(chr(10))[0][:200]}"
            log.info("filing %d messages together failed (%s); one by one now", len(remaining), why)
            filed = file_one_by_one(remaining)
            remaining = []
        outcomes += filed
    outbound = [i for outcome in outcomes for i in outcome.outbound_ids]
    if outbound:
        enqueue_sending(outbound)
    for outcome in outcomes:
        log.info(
            "inbound %s filed as %s%s%s",
            outcome.inbound_id,
            outcome.filing.value,
            f" {outcome.request_ref}" if outcome.request_ref else "",
            f" ({outcome.reason})" if outcome.reason else "",
        )


def file_one_by_one(ids: list[int]) -> list[Outcome]:
    """Each message in a short transaction of its own, so a bad one is parked alone and
    a lock (a new contact, a thread) held by another worker is waited on briefly."""
    rt = runtime.current()
    outcomes: list[Outcome] = []
    for inbound_id in sorted(ids):
        with rt.transaction() as session:
            outcomes += file_batch(session, rt.settings, [inbound_id])
    return outcomes


def send_outbound(ids: list[int]) -> None:
    """Deliver these outbox messages (those still pending) over SMTP."""
    rt = runtime.current()
    result = delivery.deliver(rt.factory, rt.settings, ids)
    if result.sent or result.failed or result.waiting:
        log.info(
            "sent %d (%d not to every recipient), refused %d, refused for now %d",
            len(result.sent),
            len(result.refused_in_part),
            len(result.failed),
            len(result.waiting),
        )
    if result.deferred:
        log.info("the rest waits for the sweeper: %s", result.deferred)


def sweep(stale_after: float | None = None) -> None:
    """Re-enqueue what is stored but unfinished: after a Redis restart, a lost job, a
    killed worker, an SMTP outage. The database is the source of truth."""
    rt = runtime.current()
    stale = rt.settings.sweeper.stale_after if stale_after is None else stale_after
    with rt.transaction() as session:
        ids = store.claim_stale(session, stale)
        unsent = delivery.claim_due(session, stale)
    if ids:
        log.info("sweeper re-enqueues %d pending messages", len(ids))
        enqueue_filing(ids)
    if unsent:
        log.info("sweeper re-enqueues %d unsent emails", len(unsent))
        enqueue_sending(unsent)


def enqueue_sending(ids: list[int]) -> None:
    rt = runtime.current()
    size = rt.settings.queue.batch_size
    for start in range(0, len(ids), size):
        rt.send("send_outbound", ids[start : start + size])


def enqueue_filing(ids: list[int]) -> None:
    rt = runtime.current()
    size = rt.settings.queue.batch_size
    for start in range(0, len(ids), size):
        rt.send("file_inbound", ids[start : start + size])

"""Actor of the billing stage: on the 1st, at ``billing.at`` in the agency's time zone,
the previous month's statements. Safe to run twice: the month is claimed in the database
in the same transaction as its statements."""

from __future__ import annotations

import logging
from datetime import datetime

from intake.billing import service as billing
from intake.db import utcnow
from workers import runtime
from workers.filing import enqueue_sending

log = logging.getLogger(__name__)


def bill_last_month(now: datetime | None = None) -> None:
    """Bill the previous month if it is due now and not billed yet; queue the statements
    and the staff summary. ``now`` (aware) stands in for the clock: the scheduler sends
    none, tests pass explicit times."""
    rt = runtime.current()
    settings = rt.settings
    now = now or utcnow()
    period = billing.due_period(now.astimezone(settings.zone), settings.billing.at)
    if period is None:
        return
    with rt.transaction() as session:
        if not billing.record_run(session, period):
            return
        results = billing.bill(session, settings, period, now=now)
        ids = [i for result in results for i in result.outbound_ids]
        summary = billing.staff_summary(session, settings, period, results)
        if summary is not None:
            ids.append(summary.id)
    made = [r for r in results if r.outcome == billing.CREATED]
    log.info("billed %s: %d statements, %d emails", period, len(made), len(ids))
    if ids:
        enqueue_sending(ids)

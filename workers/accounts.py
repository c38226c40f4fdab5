"""Actor of account management: after each month's statements, the plan advice to staff
(and to clients, when the agency sends it); every day, the introduction to the plans to
clients with none and the reminders of check-ins due within a week. Safe to run twice:
each month's advice, each client's email and each reminder is claimed in the database in
the transaction that queues it."""

from __future__ import annotations

import logging
from datetime import datetime

from intake.accounts import advice, checkins
from intake.billing.models import BillingRun
from intake.billing.statement import Period
from intake.db import utcnow
from workers import runtime
from workers.filing import enqueue_sending

log = logging.getLogger(__name__)


def look_after_accounts(now: datetime | None = None) -> None:
    """``now`` (aware) stands in for the clock: the scheduler sends none."""
    rt = runtime.current()
    settings = rt.settings
    today = (now or utcnow()).astimezone(settings.zone).date()
    period = Period.of(today).previous()
    with rt.transaction() as session:
        billed = session.get(BillingRun, period.label) is not None
        queued = advice.give_advice(session, settings, period, today) if billed else []
        advised = len(queued)
        queued += advice.introduce(session, settings, today)
        introduced = len(queued) - advised
        queued += checkins.remind(session, settings, today)
        ids = [message.id for message in queued]
    if advised:
        log.info("plan advice for %s: %d emails", period, advised)
    if introduced:
        log.info("introduction to the plans: %d emails", introduced)
    if len(ids) > advised + introduced:
        log.info("check-in reminders: %d emails", len(ids) - advised - introduced)
    if ids:
        enqueue_sending(ids)

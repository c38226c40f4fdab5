"""Actors of the SLA stage: warnings, breaches and the daily digest. Safe to run twice:
each alert and each day's digest is claimed in the database before it is queued."""

from __future__ import annotations

import logging

from intake.db import utcnow
from intake.sla import service as sla
from workers import runtime
from workers.filing import enqueue_sending

log = logging.getLogger(__name__)


def check_sla() -> None:
    """Alert staff about clocks at 75 % or past their target; send the digest once a day,
    at or after ``sla.digest_at`` in the agency's time zone."""
    rt = runtime.current()
    settings = rt.settings
    now = utcnow()
    with rt.transaction() as session:
        queued = sla.check(session, settings, now)
        if now.astimezone(settings.zone).time() >= settings.sla.digest_at:
            digests = sla.digest(session, settings, now)
            if digests:
                queued += digests
                log.info("daily digest queued for %d members of staff", len(digests))
        session.flush()
        ids = [message.id for message in queued]
    if queued:
        log.info("SLA check queued %d emails to staff", len(ids))
        enqueue_sending(ids)

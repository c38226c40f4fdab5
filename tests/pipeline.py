"""Store and file one message the way the poller and a worker would, in a test's session."""

from __future__ import annotations

import itertools

from sqlalchemy.orm import Session

from intake.filing.outcome import Outcome
from intake.filing.service import file_batch
from intake.mail.store import Fetched, store_raw
from intake.settings import Settings

_uids = itertools.count(1)


def deliver(session: Session, settings: Settings, raw: bytes) -> Outcome | None:
    ids = store_raw(session, "box", 1, [Fetched(next(_uids), raw)])
    outcomes = file_batch(session, settings, ids)
    return outcomes[0] if outcomes else None

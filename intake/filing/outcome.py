"""What filing made of one stored message: the record every path ends with."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from intake.db import utcnow
from intake.mail.models import Filing, InboundMessage
from intake.outbox.models import OutboundMessage
from intake.requests.models import Request


@dataclass(frozen=True)
class Outcome:
    """One message filed: as what, under which request, why, and the emails it queued."""

    inbound_id: int
    filing: Filing
    request_ref: str | None = None
    reason: str | None = None
    outbound: tuple[OutboundMessage, ...] = ()
    # Messages it answers that were filed first, in the same transaction (their emails
    # are sent by whoever sends this one's).
    earlier: tuple[Outcome, ...] = ()

    def with_earlier(self) -> list[Outcome]:
        """This outcome and those filed before it, earliest first."""
        return [*(o for e in self.earlier for o in e.with_earlier()), self]

    @property
    def outbound_ids(self) -> tuple[int, ...]:
        """The outbox rows this filing queued (read after the filing's savepoint, which
        writes them, so each has its id)."""
        return tuple(m.id for m in self.outbound)


def settle(
    inbound: InboundMessage,
    filing: Filing,
    request: Request | None,
    reason: str | None = None,
    outbound: Iterable[OutboundMessage | None] = (),
) -> Outcome:
    """Record on the stored message what it was filed as; every filing path ends here."""
    inbound.filing = filing
    inbound.filed_at = utcnow()
    inbound.reason = reason
    if request is not None:
        inbound.request = request
    return Outcome(
        inbound.id,
        filing,
        request.ref if request is not None else None,
        reason,
        tuple(m for m in outbound if m is not None),
    )

"""A stored message filed under a request: the one object the stages that act on mail
(quotes, approvals, staff commands, the notices to staff) are handed, instead of a list
of session, settings, request, stored message, parsed mail and sender."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.clients.senders import Sender
from intake.mail.models import InboundMessage
from intake.mail.parsing import InboundMail
from intake.requests import service as requests
from intake.requests.models import Event, Request
from intake.requests.states import Status
from intake.settings import Settings


@dataclass(frozen=True)
class Incoming:
    """One message, who wrote it and the request it belongs to, in the transaction that
    files it."""

    session: Session
    settings: Settings
    inbound: InboundMessage  # as stored
    mail: InboundMail  # as parsed
    sender: Sender
    request: Request

    def record(self, kind: str, detail: str = "", actor: str | None = None) -> Event:
        """An event on the request, from this message (by its sender, unless ``actor``)."""
        who = self.sender.address if actor is None else actor
        return requests.record(self.session, self.request, kind, who, self.inbound, detail)

    def recorded(self, kind: str, ending: str, since: datetime | None = None) -> bool:
        """Whether the request has an event of ``kind`` whose detail ends with ``ending``
        (at or after ``since``, if given): what it was told before, so as not to repeat."""
        query = sa.select(Event.id).where(
            Event.request_id == self.request.id,
            Event.kind == kind,
            Event.detail.endswith(ending, autoescape=True),
        )
        if since is not None:
            query = query.where(Event.at >= since)
        return self.session.scalar(query.limit(1)) is not None

    def move(self, target: Status, detail: str = "", actor: str | None = None) -> None:
        """Move the request on, because of this message (by its sender, unless ``actor``)."""
        who = self.sender.address if actor is None else actor
        requests.move(
            self.session, self.request, target, actor=who, inbound=self.inbound, detail=detail
        )

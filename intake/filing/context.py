"""What filing has learnt of one stored message so far: the one object passed along the
chain, each fact looked up the first time a step asks for it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import cached_property

from sqlalchemy.orm import Session

from intake.clients.senders import Sender, identify_sender
from intake.filing.outcome import Outcome, settle
from intake.filing.threads import find_thread
from intake.mail.machine import MachineVerdict, detect_machine
from intake.mail.models import Filing, InboundMessage
from intake.mail.parsing import InboundMail
from intake.outbox.models import OutboundMessage
from intake.requests.incoming import Incoming
from intake.requests.models import Request
from intake.settings import Settings


@dataclass
class FilingContext:
    """One stored message being filed, in the transaction that files it."""

    session: Session
    settings: Settings
    inbound: InboundMessage  # as stored; filing records its outcome here
    mail: InboundMail  # as parsed
    # In a transaction of its own: a new contact may be added (see filing.service).
    alone: bool = True

    @cached_property
    def verdict(self) -> MachineVerdict | None:
        """Which check found it written by a machine, if one did."""
        return detect_machine(self.mail, self.settings.own_addresses)

    @cached_property
    def sender(self) -> Sender:
        """Who wrote it: staff, a contact, a new contact at a client's domain (added as one
        now), or a stranger. Asked only of mail from people."""
        with self.session.no_autoflush:  # the author with the parsed fields: one UPDATE
            sender = identify_sender(
                self.session,
                self.mail.from_address,
                self.mail.from_name,
                self.settings.staff_addresses,
                may_add=self.alone,
            )
            self.inbound.author = sender.author.value
        return sender

    @cached_property
    def request(self) -> Request | None:
        """The request whose thread it belongs to, if any (``intake.mail.matching``)."""
        match = find_thread(self.session, self.settings, self.mail, self.sender)
        return self.session.get_one(Request, match.request_id) if match is not None else None

    def incoming(self, request: Request | None = None) -> Incoming:
        """The message as the stages that act on it take it: under its thread's request,
        or under ``request`` (one it has just opened)."""
        under = request if request is not None else self.request
        assert under is not None, "only mail filed under a request is handed on"
        return Incoming(self.session, self.settings, self.inbound, self.mail, self.sender, under)

    def settle(
        self,
        filing: Filing,
        request: Request | None,
        reason: str | None = None,
        outbound: Iterable[OutboundMessage | None] = (),
    ) -> Outcome:
        """Record what the message was filed as (see ``outcome.settle``)."""
        return settle(self.inbound, filing, request, reason, outbound)

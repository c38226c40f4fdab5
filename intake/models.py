"""Every table of intake, imported in one place so the metadata and mappers are complete."""

from intake.billing.models import Statement, StatementLine, TimeEntry
from intake.clients.models import Client, ClientDomain, Contact
from intake.mail.models import (
    AddressFlag,
    Attachment,
    Filing,
    InboundMessage,
    MailboxCursor,
    OutboundMessage,
)
from intake.quotes.models import Quote
from intake.requests.models import Counter, Event, Request

__all__ = [
    "AddressFlag",
    "Attachment",
    "Client",
    "ClientDomain",
    "Contact",
    "Counter",
    "Event",
    "Filing",
    "InboundMessage",
    "MailboxCursor",
    "OutboundMessage",
    "Quote",
    "Request",
    "Statement",
    "StatementLine",
    "TimeEntry",
]

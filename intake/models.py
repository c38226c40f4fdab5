"""Every table of intake, imported in one place so the metadata and mappers are complete."""

from intake.accounts.models import AdviceRun, AdviceSent, Checkin, CheckinReminder
from intake.billing.models import BillingRun, Statement, StatementLine
from intake.classification.models import LabelledExample
from intake.clients.models import Client, ClientDomain, ClientPlan, Contact
from intake.mail.models import AddressFlag, Attachment, Filing, InboundMessage, MailboxCursor
from intake.outbox.models import OutboundMessage
from intake.quotes.models import Quote
from intake.requests.models import Counter, Event, Request, TimeEntry
from intake.sla.models import Digest, SlaAlert

__all__ = [
    "AddressFlag",
    "AdviceRun",
    "AdviceSent",
    "Attachment",
    "BillingRun",
    "Checkin",
    "CheckinReminder",
    "Client",
    "ClientDomain",
    "ClientPlan",
    "Contact",
    "Counter",
    "Digest",
    "Event",
    "Filing",
    "InboundMessage",
    "LabelledExample",
    "MailboxCursor",
    "OutboundMessage",
    "Quote",
    "Request",
    "SlaAlert",
    "Statement",
    "StatementLine",
    "TimeEntry",
]

"""Who sent a message: staff, a known contact, a new contact of a client, or a stranger."""

from __future__ import annotations

import enum
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, joinedload

from intake import memo
from intake.clients.models import CONTACT_NAME, Client, ClientDomain, Contact
from intake.errors import NewContactWanted


class Author(enum.StrEnum):
    STAFF = "staff"
    CONTACT = "contact"
    NEW_CONTACT = "new_contact"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sender:
    author: Author
    address: str
    client: Client | None = None
    contact: Contact | None = None


def domain_of(address: str) -> str:
    return address.rpartition("@")[2].lower()


def identify_sender(
    session: Session, address: str, name: str, staff: frozenset[str], *, may_add: bool = True
) -> Sender:
    """Look the address up, case-insensitively; a new address at a client's domain becomes
    a contact of that client (who may not approve), or, with ``may_add`` False, raises
    NewContactWanted."""
    address = address.strip().lower()
    if address in staff:
        return Sender(Author.STAFF, address)
    contact, client = memo.recall(session, ("sender", address), lambda: _look_up(session, address))
    if contact is not None:
        return Sender(Author.CONTACT, address, client, contact)
    if client is None:
        return Sender(Author.UNKNOWN, address)
    if not may_add:
        raise NewContactWanted(address)
    # The display name is whatever the sender's mail program says: keep what the column holds.
    contact = Contact(
        email=address, name=name[:CONTACT_NAME], can_approve=False, source="mail", client=client
    )
    session.add(contact)
    session.flush()
    return Sender(Author.NEW_CONTACT, address, client, contact)


def _look_up(session: Session, address: str) -> tuple[Contact | None, Client | None]:
    """The contact with this address and their client; else no contact, and the client
    whose domain it is, if any."""
    contact = session.scalar(
        sa.select(Contact).options(joinedload(Contact.client)).where(Contact.email == address)
    )
    if contact is not None:
        return contact, contact.client
    domain = domain_of(address)
    if not domain:
        return None, None
    client = session.scalar(
        sa.select(Client).join(ClientDomain).where(ClientDomain.domain == domain)
    )
    return None, client

"""Clients as data: import from and export to the clients TOML shape, add, list."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlalchemy.orm import Session, selectinload

from intake.clients.models import CONTACT_NAME, Client, ClientDomain, ClientPlan, Contact
from intake.db import utcnow
from intake.errors import InvalidInput
from intake.mail.headers import MAX_ADDRESS
from intake.tomlfile import read_toml


@dataclass(frozen=True)
class ContactSpec:
    email: str
    name: str = ""
    can_approve: bool = False


@dataclass(frozen=True)
class ClientSpec:
    """One client as written in clients.toml."""

    slug: str
    name: str
    plan: str = "none"
    domains: tuple[str, ...] = ()
    timezone: str = "UTC"
    country: str | None = None
    requires_po: bool = False
    since: date | None = None
    billing_emails: tuple[str, ...] = ()
    hourly_rate: Decimal | None = None
    billing_address: str | None = None
    tax_id: str | None = None
    tax_rate: Decimal | None = None  # percent, charged on top of the statement
    reverse_charge: bool = False  # EU B2B: no tax charged, the client accounts for it
    language: str = "en"
    statement_of_work: bool = False  # each quote also as a numbered statement of work
    contacts: tuple[ContactSpec, ...] = field(default=())


@dataclass(frozen=True)
class ImportResult:
    created: tuple[str, ...]
    updated: tuple[str, ...]


def read_clients_file(path: Path, plans: frozenset[str] | None = None) -> list[ClientSpec]:
    """Parse a clients TOML file; any mistake is an InvalidInput naming the client and key."""
    data = read_toml(path, "clients file ", InvalidInput)
    entries = data.get("client", [])
    if not isinstance(entries, list):
        raise InvalidInput(f"{path}: expected [[client]] tables")
    specs = [
        parse_client(entry, f"{path}: client #{n}", plans) for n, entry in enumerate(entries, 1)
    ]
    slugs = [spec.slug for spec in specs]
    duplicates = sorted({slug for slug in slugs if slugs.count(slug) > 1})
    if duplicates:
        raise InvalidInput(f"{path}: client slug listed twice: {', '.join(duplicates)}")
    return specs


def parse_client(entry: Any, where: str, plans: frozenset[str] | None) -> ClientSpec:
    if not isinstance(entry, dict):
        raise InvalidInput(f"{where}: not a table")
    known = {
        "slug", "name", "plan", "domains", "timezone", "country", "requires_po", "since",
        "billing_emails", "hourly_rate", "contact", "billing_address", "tax_id", "tax_rate",
        "reverse_charge", "language", "statement_of_work",
    }  # fmt: skip
    unknown = sorted(set(entry) - known)
    if unknown:
        raise InvalidInput(f"{where}: unknown key {unknown[0]!r}")
    slug = entry.get("slug")
    if not isinstance(slug, str) or not slug.strip():
        raise InvalidInput(f"{where}: slug is required")
    slug = _text(entry, "slug", "", 64, where).strip()
    where = f"{where} ({slug})"
    plan = _text(entry, "plan", "none", 64, where)
    if plans is not None and plan != "none" and plan not in plans:
        raise InvalidInput(f"{where}: plan {plan!r} is not in the plans file")
    zone = _text(entry, "timezone", "UTC", 64, where)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"{where}: unknown timezone {zone!r}") from None
    since = entry.get("since")
    if since is not None and not isinstance(since, date):
        raise InvalidInput(f"{where}: since must be a date such as 2026-01-01")
    hourly_rate = _rate(entry.get("hourly_rate"), f"{where}: hourly_rate")
    tax_rate = _percent(entry.get("tax_rate"), f"{where}: tax_rate")
    reverse_charge = _flag(entry, "reverse_charge", where)
    if reverse_charge and tax_rate:
        raise InvalidInput(
            f"{where}: tax_rate and reverse_charge exclude each other (under the reverse "
            "charge the client accounts for the tax)"
        )
    language = _text(entry, "language", "en", 8, where).strip().lower()
    if language not in LANGUAGES:
        raise InvalidInput(f"{where}: language must be one of {', '.join(LANGUAGES)}")
    return ClientSpec(
        slug=slug,
        name=_text(entry, "name", slug, 200, where),
        plan=plan,
        domains=_unique(_domain(d, f"{where}: domains") for d in _list(entry, "domains", where)),
        timezone=zone,
        country=_text(entry, "country", "", 8, where) or None,
        requires_po=_flag(entry, "requires_po", where),
        since=since,
        billing_emails=_unique(
            _address(e, f"{where}: billing_emails") for e in _list(entry, "billing_emails", where)
        ),
        hourly_rate=hourly_rate,
        billing_address=_text(entry, "billing_address", "", 1000, where).strip() or None,
        tax_id=_text(entry, "tax_id", "", 64, where).strip() or None,
        tax_rate=tax_rate,
        reverse_charge=reverse_charge,
        language=language,
        statement_of_work=_flag(entry, "statement_of_work", where),
        contacts=tuple(_contact(c, f"{where}: contact") for c in _list(entry, "contact", where)),
    )


def _contact(entry: Any, where: str) -> ContactSpec:
    if not isinstance(entry, dict):
        raise InvalidInput(f"{where}: expected [[client.contact]] tables")
    email = _address(entry.get("email"), where)
    unknown = sorted(set(entry) - {"email", "name", "can_approve"})
    if unknown:
        # A misspelt can_approve would otherwise leave the contact silently unable to approve.
        raise InvalidInput(f"{where} {email}: unknown key {unknown[0]!r}")
    return ContactSpec(
        email=email,
        name=_text(entry, "name", "", CONTACT_NAME, f"{where} {email}"),
        can_approve=_flag(entry, "can_approve", f"{where} {email}"),
    )


def _text(entry: dict[str, Any], key: str, default: str, limit: int, where: str) -> str:
    """A text key of at most ``limit`` characters, as the database keeps it; a number, a
    NUL character or anything longer is refused with the key named."""
    value = entry.get(key, default)
    if not isinstance(value, str):
        raise InvalidInput(f"{where}: {key} must be text in quotes, not {value!r}")
    if "\x00" in value:
        raise InvalidInput(f"{where}: {key} contains a NUL character")
    if len(value) > limit:
        raise InvalidInput(f"{where}: {key} is {len(value)} characters long, at most {limit}")
    return value


def _list(entry: dict[str, Any], key: str, where: str) -> list[Any]:
    """A list key; a lone string is refused, not read letter by letter."""
    value = entry.get(key, [])
    if not isinstance(value, list):
        raise InvalidInput(f"{where}: {key} must be a list, e.g. {key} = [...], not {value!r}")
    return value


def _flag(entry: dict[str, Any], key: str, where: str) -> bool:
    """A TOML true or false: text such as "false" or "no" is refused, never read as true."""
    value = entry.get(key, False)
    if not isinstance(value, bool):
        raise InvalidInput(f"{where}: {key} must be true or false (no quotes), not {value!r}")
    return value


# The largest rate the database keeps: Numeric(12, 2).
MAX_RATE = Decimal("9999999999.99")


def _rate(value: Any, where: str) -> Decimal | None:
    """An amount of money above zero, to the cent at most; anything else is refused, never
    rounded or dropped (a negative rate would quote work at less than nothing)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f'{where}: {value!r} is not an amount such as "150.00"')
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f'{where}: {value!r} is not an amount such as "150.00"') from None
    if not amount.is_finite() or amount <= 0 or amount > MAX_RATE:
        raise InvalidInput(f"{where}: {value!r} must be an amount above 0 (at most {MAX_RATE})")
    cents = amount.quantize(Decimal("0.01"))
    if cents != amount:
        raise InvalidInput(f"{where}: {value!r} has more than 2 decimal places")
    return cents


# The languages a client's emails and statements may be written in.
LANGUAGES = ("en", "de", "fr", "es", "nl")


def _percent(value: Any, where: str) -> Decimal | None:
    """A tax rate in percent, from 0 to 100 with at most two decimals ("20", "7.7")."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidInput(f'{where}: {value!r} is not a percentage such as "20"')
    try:
        rate = Decimal(str(value))
    except InvalidOperation:
        raise InvalidInput(f'{where}: {value!r} is not a percentage such as "20"') from None
    if not rate.is_finite() or not 0 <= rate <= 100 or rate != rate.quantize(Decimal("0.01")):
        raise InvalidInput(f"{where}: {value!r} must be a percentage from 0 to 100, to 0.01")
    return rate.quantize(Decimal("0.01"))


# A mail domain: dot-separated labels of letters, digits and inner hyphens.
LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"  # \w less "_": letters and digits
DOMAIN = re.compile(rf"(?:{LABEL}\.)+{LABEL}")


def _domain(value: Any, where: str) -> str:
    domain = value.strip().lower() if isinstance(value, str) else None
    if domain is None or len(domain) > 253 or not DOMAIN.fullmatch(domain):
        raise InvalidInput(f"{where}: {value!r} is not a mail domain such as acme.example")
    return domain


def _address(value: Any, where: str) -> str:
    address = value.strip().lower() if isinstance(value, str) else ""
    local, _, domain = address.rpartition("@")
    spaced = any(c.isspace() for c in local)
    if len(address) > MAX_ADDRESS or not local or spaced or not DOMAIN.fullmatch(domain):
        raise InvalidInput(f"{where}: {value!r} is not an email address")
    return address


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    """In order, each once: a domain or address listed twice (in any case) counts once."""
    return tuple(dict.fromkeys(values))


def import_clients(
    session: Session, specs: list[ClientSpec], today: date | None = None
) -> ImportResult:
    """Create or update each client by slug; re-importing never duplicates. A changed plan
    holds from ``today`` (the agency's date; default the UTC one): months before it are
    still billed at the plan they had."""
    created: list[str] = []
    updated: list[str] = []
    for spec in specs:
        client = session.scalar(sa.select(Client).where(Client.slug == spec.slug))
        if client is None:
            client = Client(slug=spec.slug, name=spec.name)
            session.add(client)
            created.append(spec.slug)
        else:
            updated.append(spec.slug)
        apply_spec(session, client, spec, today)
    session.flush()
    return ImportResult(tuple(created), tuple(updated))


def apply_spec(
    session: Session, client: Client, spec: ClientSpec, today: date | None = None
) -> None:
    client.name = spec.name
    if not client.plans:  # a new client: its first plan holds from the start
        client.plans.append(ClientPlan(plan=spec.plan, effective_from=date.min))
    elif client.plan != spec.plan:
        day = today or utcnow().date()
        for change in [c for c in client.plans if c.effective_from >= day]:
            client.plans.remove(change)  # changed again the same day: the last one holds
        client.plans.append(ClientPlan(plan=spec.plan, effective_from=day))
    client.plan = spec.plan
    client.timezone = spec.timezone
    client.country = spec.country
    client.requires_po = spec.requires_po
    client.since = spec.since
    client.billing_emails = list(spec.billing_emails)
    client.hourly_rate = spec.hourly_rate
    client.billing_address = spec.billing_address
    client.tax_id = spec.tax_id
    client.tax_rate = spec.tax_rate
    client.reverse_charge = spec.reverse_charge
    client.language = spec.language
    client.statement_of_work = spec.statement_of_work
    _check_domains(session, client, spec.domains)
    existing = {d.domain: d for d in client.domains}
    client.domains = [existing.get(d) or ClientDomain(domain=d) for d in spec.domains]
    for contact_spec in spec.contacts:
        contact = session.scalar(sa.select(Contact).where(Contact.email == contact_spec.email))
        if contact is None:
            contact = Contact(email=contact_spec.email)
            client.contacts.append(contact)
        elif contact.client is not client:
            contact.client = client
        contact.name = contact_spec.name
        contact.can_approve = contact_spec.can_approve
        contact.source = "import"


def _check_domains(session: Session, client: Client, domains: tuple[str, ...]) -> None:
    for domain in domains:
        owner = session.scalar(
            sa.select(Client).join(ClientDomain).where(ClientDomain.domain == domain)
        )
        if owner is not None and owner is not client:
            raise InvalidInput(f"client {client.slug}: domain {domain} belongs to {owner.slug}")


def list_clients(session: Session) -> list[Client]:
    return list(
        session.scalars(
            sa.select(Client)
            .options(selectinload(Client.domains), selectinload(Client.contacts))
            .order_by(Client.slug)
        )
    )


def to_toml(clients: list[Client]) -> str:
    """Write clients back in the shape ``clients import`` reads."""
    out: list[str] = []
    for client in clients:
        out.append("[[client]]")
        out.append(f"slug = {_q(client.slug)}")
        out.append(f"name = {_q(client.name)}")
        out.append(f"plan = {_q(client.plan)}")
        out.append(f"domains = [{', '.join(_q(d.domain) for d in client.domains)}]")
        out.append(f"timezone = {_q(client.timezone)}")
        if client.country:
            out.append(f"country = {_q(client.country)}")
        out.append(f"requires_po = {'true' if client.requires_po else 'false'}")
        if client.since:
            out.append(f"since = {client.since.isoformat()}")
        out.append(f"billing_emails = [{', '.join(_q(e) for e in client.billing_emails)}]")
        if client.hourly_rate is not None:
            out.append(f"hourly_rate = {_q(str(client.hourly_rate))}")
        if client.billing_address:
            out.append(f"billing_address = {_q(client.billing_address)}")
        if client.tax_id:
            out.append(f"tax_id = {_q(client.tax_id)}")
        if client.tax_rate is not None:
            out.append(f"tax_rate = {_q(format(client.tax_rate.normalize(), 'f'))}")
        if client.reverse_charge:
            out.append("reverse_charge = true")
        if client.language and client.language != "en":
            out.append(f"language = {_q(client.language)}")
        if client.statement_of_work:
            out.append("statement_of_work = true")
        for contact in client.contacts:
            out.append("  [[client.contact]]")
            out.append(f"  email = {_q(contact.email)}")
            out.append(f"  name = {_q(contact.name)}")
            out.append(f"  can_approve = {'true' if contact.can_approve else 'false'}")
        out.append("")
    return "\n".join(out)


# TOML's short escapes; every other control character is written as \uXXXX.
ESCAPES = {
    "\\": "\\\\",
    '"': '\\"',
    "\b": "\\b",
    "\t": "\\t",
    "\n": "\\n",
    "\f": "\\f",
    "\r": "\\r",
}


def _q(value: str) -> str:
    """``value`` as a TOML basic string: a name with a newline or any control character
    still writes a file that ``clients import`` reads back the same."""
    return '"' + "".join(_escape(c) for c in value) + '"'


def _escape(char: str) -> str:
    if char in ESCAPES:
        return ESCAPES[char]
    if char < " " or char == "\x7f":
        return f"\\u{ord(char):04X}"
    return char

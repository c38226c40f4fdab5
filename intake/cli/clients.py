"""`intake clients add|import|list`: clients are data, kept in the database."""

from __future__ import annotations

import tomllib
from datetime import date, datetime
from pathlib import Path

import click
import sqlalchemy as sa

from intake.cli.common import counted, database
from intake.cli.main import Context
from intake.clients.models import Client
from intake.clients.service import (
    ClientSpec,
    import_clients,
    list_clients,
    parse_client,
    read_clients_file,
    to_toml,
)
from intake.db import transaction, utcnow
from intake.errors import InvalidInput
from intake.filing.files import check_files
from intake.plans import load_plans


@click.group("clients")
def command() -> None:
    """The agency's clients and their contacts."""


@command.command("import")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.pass_obj
def import_command(ctx: Context, file: Path) -> None:
    """Create or update clients from a TOML file (re-importing never duplicates)."""
    # Both files, not just the plans the clients name: importing clients is how a new
    # installation starts, the moment to hear that rules_file is wrong.
    plans = frozenset(check_files(ctx.settings).plans)
    specs = read_clients_file(file, plans)
    with transaction(database(ctx)) as session:
        result = import_clients(session, specs, _agency_today(ctx))
    click.echo(f"{counted(len(result.created), 'client')} created, {len(result.updated)} updated")


@command.command("add")
@click.argument("slug")
@click.option("--name", help="The client's name (required for a new client).")
@click.option("--plan", help='A plan of plans_file, or "none" (new client: none).')
@click.option("--domain", "domains", multiple=True, help="Mail domain (repeatable).")
@click.option("--timezone", help="The client's time zone, e.g. Europe/London (new: UTC).")
@click.option("--country", help="Country code for public holidays in SLA clocks, e.g. GB.")
@click.option(
    "--requires-po/--no-requires-po", default=None, help="Approvals need a purchase order."
)
@click.option(
    "--since",
    type=click.DateTime(["%Y-%m-%d"]),
    help="Contract start, YYYY-MM-DD: the plan is billed from this month.",
)
@click.option("--billing-email", "billing", multiple=True, help="Where statements go (repeatable).")
@click.option("--hourly-rate", help='Rate for this client instead of plans_file\'s, e.g. "120.00".')
@click.option(
    "--contact",
    "contacts",
    multiple=True,
    help="EMAIL[:NAME[:approve]] (repeatable); ':approve' lets the contact approve quotes.",
)
@click.pass_obj
def add_command(
    ctx: Context,
    slug: str,
    name: str | None,
    plan: str | None,
    domains: tuple[str, ...],
    timezone: str | None,
    country: str | None,
    requires_po: bool | None,
    since: datetime | None,
    billing: tuple[str, ...],
    hourly_rate: str | None,
    contacts: tuple[str, ...],
) -> None:
    """Add a client, or change the given options of one (the others stay as they are)."""
    plans = frozenset(load_plans(ctx.settings.plans_file).plans)
    with transaction(database(ctx)) as session:
        current = session.scalar(sa.select(Client).where(Client.slug == slug))
        if current is None and name is None:
            raise InvalidInput(f"client {slug} is new: --name is required")
        raw: dict[str, object] = (
            tomllib.loads(to_toml([current]))["client"][0]
            if current is not None
            else {"slug": slug, "plan": "none", "timezone": "UTC"}
        )
        given: dict[str, object] = {
            "name": name,
            "plan": plan,
            "domains": list(domains) or None,
            "timezone": timezone,
            "country": country,
            "requires_po": requires_po,
            "since": since.date() if since is not None else None,
            "billing_emails": list(billing) or None,
            "hourly_rate": hourly_rate,
        }
        raw.update({key: value for key, value in given.items() if value is not None})
        raw["contact"] = [_contact(c) for c in contacts]  # added or changed; none removed
        spec: ClientSpec = parse_client(raw, f"client {slug}", plans)
        result = import_clients(session, [spec], _agency_today(ctx))
    click.echo(f"client {slug} {'created' if result.created else 'updated'}")


def _agency_today(ctx: Context) -> date:
    """Today on the agency's clock: the day a changed plan holds from."""
    return utcnow().astimezone(ctx.settings.zone).date()


def _contact(text: str) -> dict[str, object]:
    email, _, rest = text.partition(":")
    name, _, flag = rest.partition(":")
    return {"email": email, "name": name, "can_approve": flag.strip().lower() == "approve"}


@command.command("list")
@click.option("--toml", "as_toml", is_flag=True, help="Write the clients file shape.")
@click.pass_obj
def list_command(ctx: Context, as_toml: bool) -> None:
    """List clients (or write them back as TOML)."""
    with transaction(database(ctx)) as session:
        clients = list_clients(session)
        if as_toml:
            click.echo(to_toml(clients), nl=False)
            return
        for client in clients:
            domains = ", ".join(d.domain for d in client.domains) or "-"
            click.echo(
                f"{client.slug:<16} {client.plan:<13} "
                f"{counted(len(client.contacts), 'contact'):>12}  "
                f"{domains}  {client.name}"
            )

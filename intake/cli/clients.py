"""`intake clients add|import|list`: clients are data, kept in the database."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from intake import catalogue
from intake.cli.common import database
from intake.cli.main import Context
from intake.clients.service import (
    ClientSpec,
    import_clients,
    list_clients,
    parse_client,
    read_clients_file,
    to_toml,
)
from intake.db import transaction
from intake.quotes.plans import load_plans


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
    plans = frozenset(catalogue.check(ctx.settings).plans)
    specs = read_clients_file(file, plans)
    with transaction(database(ctx)) as session:
        result = import_clients(session, specs)
    click.echo(f"{len(result.created)} clients created, {len(result.updated)} updated")


@command.command("add")
@click.argument("slug")
@click.option("--name", required=True)
@click.option("--plan", default="none", show_default=True)
@click.option("--domain", "domains", multiple=True, help="Mail domain (repeatable).")
@click.option("--timezone", default="UTC", show_default=True)
@click.option("--country", default=None)
@click.option("--requires-po", is_flag=True)
@click.option("--since", type=click.DateTime(["%Y-%m-%d"]), default=None)
@click.option("--billing-email", "billing", multiple=True)
@click.option("--hourly-rate", default=None)
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
    name: str,
    plan: str,
    domains: tuple[str, ...],
    timezone: str,
    country: str | None,
    requires_po: bool,
    since: date | None,
    billing: tuple[str, ...],
    hourly_rate: str | None,
    contacts: tuple[str, ...],
) -> None:
    """Add (or update) one client."""
    plans = frozenset(load_plans(ctx.settings.plans_file).plans)
    raw = {
        "slug": slug,
        "name": name,
        "plan": plan,
        "domains": list(domains),
        "timezone": timezone,
        "requires_po": requires_po,
        "billing_emails": list(billing),
        "contact": [_contact(c) for c in contacts],
    }
    if country:
        raw["country"] = country
    if since:
        raw["since"] = since.date() if hasattr(since, "date") else since
    if hourly_rate:
        raw["hourly_rate"] = hourly_rate
    spec: ClientSpec = parse_client(raw, f"client {slug}", plans)
    with transaction(database(ctx)) as session:
        result = import_clients(session, [spec])
    click.echo(f"client {slug} {'created' if result.created else 'updated'}")


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
                f"{client.slug:<16} {client.plan:<13} {len(client.contacts):>3} contacts  "
                f"{domains}  {client.name}"
            )

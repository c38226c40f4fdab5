"""What the commands share: the database of the loaded settings, JSON output."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import click
from sqlalchemy.orm import Session, sessionmaker

from intake.db import check_connection, current_revision, make_engine, session_factory
from intake.errors import ConfigError, InvalidInput
from intake.settings import MailboxSettings, Settings

if TYPE_CHECKING:  # the commands import this module, and main imports the commands
    from intake.cli.main import Context


def database(ctx: Context) -> sessionmaker[Session]:
    """A session factory on a reachable database whose schema is set up."""
    engine = make_engine(ctx.settings.database_url)
    check_connection(engine)
    if current_revision(engine) is None:
        raise ConfigError(
            f"database_url: {engine.url.render_as_string()} has no intake schema yet; "
            "run `intake db upgrade`"
        )
    return session_factory(engine)


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


def counted(count: int, noun: str, plural: str | None = None) -> str:
    """ "1 message", "2 messages", "0 messages": a count and its noun, agreeing."""
    return f"{count} {noun if count == 1 else plural or noun + 's'}"


def chosen_mailbox(settings: Settings, address: str | None) -> MailboxSettings:
    """The mailbox a command's ``--mailbox ADDRESS`` names (the first when it names none);
    an address no mailbox has is one line listing those it could be."""
    if address is None:
        return settings.mailboxes[0]
    wanted = address.strip().lower()
    for mailbox in settings.mailboxes:
        if mailbox.address == wanted:
            return mailbox
    known = ", ".join(m.address for m in settings.mailboxes)
    raise InvalidInput(f"--mailbox: {address} is none of the mailboxes ({known})")

"""`intake db upgrade`: bring the schema to the newest migration."""

from __future__ import annotations

import click

from intake.cli.main import Context
from intake.db import check_connection, current_revision, make_engine, upgrade


@click.group("db")
def command() -> None:
    """The database schema."""


@command.command("upgrade")
@click.pass_obj
def upgrade_command(ctx: Context) -> None:
    """Apply every migration not yet applied (SQLite or PostgreSQL)."""
    engine = make_engine(ctx.settings.database_url)
    check_connection(engine)
    upgrade(engine)
    click.echo(f"database at revision {current_revision(engine)}")

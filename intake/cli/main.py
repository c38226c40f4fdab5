"""The `intake` command: one group, settings loaded once, errors as one line."""

from __future__ import annotations

import importlib
import logging
import os
import sys
from pathlib import Path
from typing import Any

import click

from intake.errors import ConfigError, IntakeError, InvalidInput, NotFound
from intake.settings import Settings, load_settings

# Commands that start processes live beside the workers; loaded only when called so
# the rest of the CLI never imports the queue.
LAZY = {
    "run": "workers.commands:run",
    "poll": "workers.commands:poll",
    "worker": "workers.commands:worker",
    "demo": "workers.commands:demo",
}
EXIT_CODES: dict[type[IntakeError], int] = {ConfigError: 2, InvalidInput: 2, NotFound: 3}


# The group's own options, accepted after the command as well: `intake status --config x`.
GLOBAL_FLAGS = frozenset({"-v", "--verbose"})
GLOBAL_VALUED = frozenset({"--config"})


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with the group's options moved before the command, wherever they were
    written (up to a ``--``, after which everything is an argument). Pure."""
    front: list[str] = []
    rest: list[str] = []
    position = 0
    while position < len(args):
        token = args[position]
        if token == "--":
            rest += args[position:]
            break
        if token in GLOBAL_FLAGS or (token.partition("=")[0] in GLOBAL_VALUED and "=" in token):
            front.append(token)
        elif token in GLOBAL_VALUED and position + 1 < len(args):
            front += args[position : position + 2]
            position += 1
        else:
            rest.append(token)
        position += 1
    return front + rest


class IntakeGroup(click.Group):
    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *LAZY})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in LAZY:
            module, _, attr = LAZY[name].partition(":")
            command = getattr(importlib.import_module(module), attr)
            assert isinstance(command, click.Command)
            return command
        return super().get_command(ctx, name)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except IntakeError as exc:
            click.echo(f"intake: {exc}", err=True)
            ctx.exit(_exit_code(exc))


def _exit_code(exc: IntakeError) -> int:
    for kind, code in EXIT_CODES.items():
        if isinstance(exc, kind):
            return code
    return 1


class Context:
    """Settings, loaded once on first use."""

    def __init__(self, config: Path | None) -> None:
        self.config = config
        self._settings: Settings | None = None

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            if self.config is None and not any(key.startswith("INTAKE_") for key in os.environ):
                # Defaults alone would open ./intake.db and leave it behind.
                raise ConfigError(
                    f"no settings: there is no intake.toml in {Path.cwd()}; give one with "
                    "--config FILE (or INTAKE_CONFIG), or start from "
                    "config/intake.example.toml (`intake demo` needs none)"
                )
            self._settings = load_settings(self.config)
        return self._settings


@click.group(cls=IntakeGroup)
@click.option(
    "--config",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="INTAKE_CONFIG",
    help="Settings file (TOML). Default: ./intake.toml if present.",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug detail.")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, verbose: bool) -> None:
    """intake: a software agency's support back office, run over email."""
    if config is None and Path("intake.toml").exists():
        config = Path("intake.toml")
    ctx.obj = Context(config)
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.INFO,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if not verbose:
        # Alembic's notes on every schema check would stand before a command's one line.
        logging.getLogger("alembic").setLevel(logging.WARNING)


def _register() -> None:
    from intake.cli import advice, auth, bill, classifier, clients, db, requests, status

    for module in (db, clients, requests, status, bill, advice, classifier, auth):
        cli.add_command(module.command)


_register()


def main() -> None:
    cli(prog_name="intake")

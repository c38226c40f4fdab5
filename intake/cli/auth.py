"""`intake auth`: sign a mailbox in with OAuth2 (in a browser on this computer, or with a
device code on any device) and see whether its servers accept the token."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import click
from sqlalchemy.orm import Session, sessionmaker

from intake.cli.common import chosen_mailbox, database
from intake.errors import AuthorizationLost, ConfigError, IntakeError, InvalidInput, LoginRejected
from intake.mail.loopback import Loopback
from intake.mail.mailbox import Mailbox
from intake.mail.oauth2 import AccessTokens, access_tokens
from intake.mail.providers import Grant, Provider
from intake.outbox.smtp import SmtpConnection
from intake.settings import ImapSettings, MailboxSettings, SmtpSettings

if TYPE_CHECKING:
    from intake.cli.main import Context


@click.group("auth")
def command() -> None:
    """OAuth2 mailboxes (Microsoft 365, Google Workspace): sign in, and check."""


@command.command("login")
@click.option(
    "--provider",
    type=click.Choice(["microsoft", "google", "generic"]),
    help="The provider you sign in with; it must be the one in the settings.",
)
@click.option(
    "--server",
    "which",
    type=click.Choice(["imap", "smtp"]),
    help="Whose account signs in when [smtp.oauth2] differs from [imap.oauth2] (default: imap).",
)
@click.option(
    "--mailbox",
    "address",
    default=None,
    help="With several [[mailbox]]: which one, by its address (default: the first).",
)
@click.option(
    "--wait",
    type=click.FloatRange(min=1),
    default=300.0,
    show_default=True,
    help="Browser sign-in: seconds to wait for the browser to come back.",
)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=0,
    help="Browser sign-in: the port on 127.0.0.1 it comes back to (default: a free one; "
    "fix one to forward it over SSH).",
)
@click.pass_obj
def login(
    ctx: Context,
    provider: str | None,
    which: str | None,
    address: str | None,
    wait: float,
    port: int,
) -> None:
    """Sign the mailbox in: open the URL shown and sign in as the mailbox (Google, or a
    provider with an authorize_url: in a browser on this computer; otherwise enter the
    code shown, on any device); the refresh token is then kept where the settings say."""
    server = _oauth2_server(chosen_mailbox(ctx.settings, address), which)
    assert server.oauth2 is not None
    if provider is not None and provider != server.oauth2.provider:
        raise ConfigError(
            f'{server.section}.oauth2.provider: the settings say "{server.oauth2.provider}", '
            f'not "{provider}"'
        )
    tokens = access_tokens(server, _database(ctx))
    if tokens.provider.signs_in_with_browser:
        grant = _browser_login(server, tokens.provider, port, wait)
    else:
        signing = tokens.provider.start_device_login()
        click.echo(signing.message)
        click.echo("Waiting for the sign-in...")
        grant = tokens.provider.finish_device_login(signing)
    if not grant.refresh_token:
        raise LoginRejected(
            f"{server.section}.oauth2.scopes: the provider gave no refresh token; ask for "
            "offline_access (or the provider's equivalent)"
        )
    tokens.signed_in(grant)
    who = grant.account or server.username
    click.echo(f"Signed in as {who}; the refresh token is kept in {tokens.store.where}.")


def _browser_login(
    server: ImapSettings | SmtpSettings, provider: Provider, port: int, wait: float
) -> Grant:
    """The authorization code flow: the person signs in in a browser on this computer,
    which comes back to a one-shot listener on 127.0.0.1 with the code."""
    try:
        listening = Loopback(port)
    except OSError as exc:
        raise InvalidInput(f"--port: cannot listen on 127.0.0.1:{port}: {exc.strerror}") from None
    with listening as loopback:
        signing = provider.start_browser_login(loopback.redirect_uri)
        click.echo(
            f"To sign in, open this address in a browser on this computer and sign in as "
            f"{server.username}:"
        )
        click.echo(signing.url)
        click.echo(f"Waiting for the sign-in (it comes back to {loopback.redirect_uri})...")
        answer = loopback.wait(wait)
    if answer is None:
        raise AuthorizationLost(
            f"{server.section}.oauth2: nobody signed in within {wait:g} s; nothing was "
            "stored; run `intake auth login` again"
        )
    return provider.finish_browser_login(signing, answer)


@command.command("status")
@click.option(
    "--mailbox",
    "address",
    default=None,
    help="With several [[mailbox]]: which one, by its address (default: the first).",
)
@click.pass_obj
def status(ctx: Context, address: str | None) -> None:
    """Which account, when its access token expires, and whether IMAP and SMTP accept it."""
    settings = chosen_mailbox(ctx.settings, address)
    servers: list[ImapSettings | SmtpSettings] = [settings.imap, settings.smtp]
    if not any(s.auth == "oauth2" for s in servers):
        raise ConfigError('imap.auth: neither imap.auth nor smtp.auth is "oauth2"')
    factory = _database(ctx)
    failed = False
    shown: list[AccessTokens] = []
    for server in servers:
        if server.auth == "oauth2":
            tokens = access_tokens(server, factory)
            if tokens not in shown:
                shown.append(tokens)
                failed |= not _show_account(server, tokens)
    mailbox = Mailbox(settings.imap, readonly=True, database=factory)
    failed |= not _check("imap", settings.imap, mailbox.connect, mailbox.close)
    connection = SmtpConnection(settings.smtp, factory)
    failed |= not _check("smtp", settings.smtp, connection.open, connection.close)
    if failed:
        click.get_current_context().exit(1)


def _show_account(server: ImapSettings | SmtpSettings, tokens: AccessTokens) -> bool:
    assert server.oauth2 is not None
    provider = server.oauth2.provider
    click.echo(
        f"account: {server.username} ({provider}, {server.oauth2.endpoint}); refresh token "
        f"in {tokens.store.where}"
    )
    try:
        tokens.current()
    except IntakeError as exc:
        click.echo(f"access token: none: {exc}")
        return False
    expires = tokens.expires_at
    assert expires is not None
    minutes = max(0, round((expires - datetime.now(UTC)).total_seconds() / 60))
    who = f", signed in as {tokens.signed_in_as}" if tokens.signed_in_as else ""
    click.echo(
        f"access token: valid until {expires.isoformat(timespec='seconds')} (in {minutes} min){who}"
    )
    return True


def _check(
    name: str,
    server: ImapSettings | SmtpSettings,
    connect: Callable[[], object],
    close: Callable[[], object],
) -> bool:
    """One line: whether ``server`` takes the login."""
    where = f"{server.host}:{server.port}"
    how = "the access token" if server.auth == "oauth2" else "the password"
    try:
        connect()
    except IntakeError as exc:
        click.echo(f"{name}: {where} does not accept {how}: {exc}")
        return False
    finally:
        close()
    click.echo(f"{name}: {where} accepts {how}")
    return True


def _oauth2_server(settings: MailboxSettings, which: str | None) -> ImapSettings | SmtpSettings:
    chosen: dict[str, ImapSettings | SmtpSettings] = {"imap": settings.imap, "smtp": settings.smtp}
    if which is not None:
        server = chosen[which]
    else:
        server = settings.imap if settings.imap.auth == "oauth2" else settings.smtp
    if server.auth != "oauth2":
        raise ConfigError(f'{server.section}.auth: it is "{server.auth}", not "oauth2"')
    return server


def _database(ctx: Context) -> sessionmaker[Session] | None:
    """The database, only when it keeps a refresh token: a file store needs none."""
    for mailbox in ctx.settings.mailboxes:
        for server in (mailbox.imap, mailbox.smtp):
            if server.oauth2 is not None and server.oauth2.token_store == "database":
                return database(ctx)
    return None

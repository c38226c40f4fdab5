"""The one error tree of intake: every error a caller can act on is named here."""

from __future__ import annotations


class IntakeError(Exception):
    """Base of every error intake raises on purpose."""


class ConfigError(IntakeError):
    """A setting is missing or wrong; the message names the key."""


class ServerUnreachable(IntakeError):
    """A server named in the settings cannot be reached; the message names the setting."""


class ConnectionLost(ServerUnreachable):
    """A server closed a connection that was working (a restart, a kick, a network drop);
    the poller reconnects with backoff."""


class LoginRejected(IntakeError):
    """A server refused the credentials from the settings; the message names the setting."""


class AuthorizationLost(IntakeError):
    """The OAuth2 provider refused the mailbox's refresh token (revoked, expired, a changed
    password) or none is stored yet: mail waits on the server, and the poller retries,
    until someone runs `intake auth login`. The message names the setting and the fix."""


class UnparseableMail(IntakeError):
    """Raw bytes that cannot be read as an email message at all (the message is parked)."""


class NotFound(IntakeError):
    """A thing named on the command line (a request, a client) does not exist."""


class InvalidInput(IntakeError):
    """A file or value given on the command line is malformed; the message says where."""


class ForbiddenTransition(IntakeError):
    """A status change the lifecycle table does not allow (e.g. declined -> done); a staff
    command that asks for one is refused with this reason."""


class NewContactWanted(IntakeError):
    """Raised instead of adding a contact when the caller asked for none: the batch being
    filed together is rolled back, and this message is filed alone, where the contact
    may be added.
    ``inbound_id``: the stored message being filed when it was raised, once known."""

    def __init__(self, address: str, inbound_id: int | None = None) -> None:
        super().__init__(address)
        self.address = address
        self.inbound_id = inbound_id


class MailboxBusy(IntakeError):
    """Another poller holds the lock on this mailbox."""

"""Mail that is held before anything in it is acted on: one whose author cannot be told
(never an approval or a command), and one too large to read."""

from __future__ import annotations

from intake.filing.context import FilingContext
from intake.filing.new_requests import hold_new
from intake.filing.outcome import Outcome
from intake.filing.replies import hold_in_thread

# A header a message has once (RFC 5322 3.6): two of them, and which one a reader shows
# depends on the program; a forger adds a second From below the one a filter checked.
ONCE = (("from", "From"), ("message-id", "Message-ID"))


def doubled_header(headers: tuple[tuple[str, str], ...]) -> str | None:
    """Why the header block is ambiguous, or None: a From or Message-ID given twice."""
    for name, shown in ONCE:
        if sum(1 for key, _ in headers if key == name) > 1:
            return f"the message has two {shown} headers, so who wrote it cannot be told"
    return None


def two_authors(ctx: FilingContext) -> Outcome | None:
    reason = doubled_header(ctx.mail.headers)
    if reason is None:
        return None
    return _held(ctx, reason, ("Reply held", "nothing in it took effect"))


def too_large(ctx: FilingContext, limit: int) -> Outcome:
    """A message over ``imap.max_message_bytes``: ``ctx.mail`` holds its headers only; it is
    held, in its thread if its headers tie it to one, and staff are told."""
    size = ctx.inbound.size
    reason = (
        f"{size / 1024 / 1024:.1f} MB is over imap.max_message_bytes"
        f" ({limit / 1024 / 1024:.0f} MB): stored as it came, not read"
    )
    return _held(ctx, reason, ("Message too large", "nothing in it was read"))


def _held(ctx: FilingContext, reason: str, notice: tuple[str, str]) -> Outcome:
    """Held with ``reason``: in its request's thread if it has one (staff told with
    ``notice``), else as a request of its own held for triage."""
    if ctx.request is None:
        return hold_new(ctx, reason)
    return hold_in_thread(ctx, "held", reason, notice)

"""The filing chain: the ordered steps that decide what a stored, parsed message is.

Each step looks at the message (a ``FilingContext``) and either files it, returning the
outcome, or passes it on with None; the first that files it ends the chain, as a link of
a Mailman chain does. The order is the product's rule, written here once: history is never
acted on, machines are never answered, an ambiguous author is held, staff before clients, a
thread before a new request, and a stranger is held rather than answered.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from intake.filing import (
    checkins,
    client_commands,
    history,
    machine,
    new_requests,
    replies,
    staff,
    suspect,
)
from intake.filing.context import FilingContext
from intake.filing.outcome import Outcome


@dataclass(frozen=True)
class Step:
    name: str
    file: Callable[[FilingContext], Outcome | None]


CHAIN: tuple[Step, ...] = (
    # In the mailbox before intake first read it: filed, nobody written to.
    Step("history", history.history),
    # Written by a machine: recorded, never answered.
    Step("bounce of our email", machine.bounce_of_ours),
    Step("machine mail", machine.machine_mail),
    # From people, but which person cannot be told: it approves and commands nothing.
    Step("two authors", suspect.two_authors),
    # In a request's thread.
    Step("staff reply", staff.staff_reply),
    Step("stranger in a thread", replies.stranger_in_thread),
    Step("answer to a quote", replies.answer_to_quote),
    Step("follow-up", replies.follow_up),
    # In no request's thread.
    Step("staff records a check-in", checkins.staff_checkin),
    Step("staff opens a request", staff.staff_opens),
    Step("client command", client_commands.client_command),
    Step("held for triage", new_requests.held_for_triage),
    Step("new request", new_requests.new_request),
)


def run(ctx: FilingContext) -> Outcome:
    """File the message with the first step that takes it."""
    for step in CHAIN:
        outcome = step.file(ctx)
        if outcome is not None:
            return outcome
    raise AssertionError("the last step of the filing chain takes every message")

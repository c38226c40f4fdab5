"""Filing a reply in a request's thread: a staff member's commands, a client's answer to a
quote, a client's follow-up (which reopens finished work), or a stranger's, held for staff."""

from __future__ import annotations

from sqlalchemy.orm import Session

from intake import memo
from intake.approvals.authentication import check_sender
from intake.approvals.service import handle_reply_to_quote, pending_quote
from intake.clients.senders import Author, Sender
from intake.commands.service import apply_staff_reply
from intake.mail.models import Filing, InboundMessage
from intake.mail.outcome import Outcome, settle
from intake.mail.parsing import InboundMail
from intake.outbox.notices import staff_client_reply
from intake.quotes.models import Quote
from intake.requests import service as requests
from intake.requests.models import Request
from intake.requests.states import Status
from intake.settings import Settings


def file_follow_up(
    session: Session,
    settings: Settings,
    inbound: InboundMessage,
    mail: InboundMail,
    sender: Sender,
    request: Request,
    replied_to: Quote | None = None,
) -> Outcome:
    if sender.author is Author.STAFF:
        if settings.authentication.required:
            auth = settings.authentication
            verdict = check_sender(mail.headers, mail.from_address, auth.authserv_id)
            if not verdict.passed:
                return _hold_in_thread(
                    session,
                    settings,
                    request,
                    inbound,
                    mail,
                    ("held", sender.address),
                    f"staff message not authenticated, nothing applied: {verdict.reason}",
                    (
                        "Staff message not authenticated",
                        "no command applied, nothing sent to the client",
                    ),
                )
        requests.record(session, request, "staff_reply", sender.address, inbound)
        sent = apply_staff_reply(session, settings, request, inbound, mail, sender.address)
        memo.forget(session)  # a command may add a contact or close work with hours logged
        return settle(inbound, Filing.FOLLOW_UP, request, outbound=sent)
    if request.client_id is not None and (
        sender.client is None or sender.client.id != request.client_id
    ):
        return _hold_in_thread(
            session,
            settings,
            request,
            inbound,
            mail,
            ("stranger_reply", sender.address),
            f"{sender.address} wrote in the thread but is not a contact of its client",
            ("Stranger in the thread", "nothing was sent to the sender"),
        )
    quote = pending_quote(session, request) if request.status is Status.QUOTED else None
    if quote is not None and sender.contact is not None:
        # A reply while a quote waits is read as an approval, a decline, or for staff.
        requests.record(session, request, "follow_up", sender.address, inbound)
        reply = handle_reply_to_quote(
            session, settings, request, quote, inbound, mail, sender.contact, replied_to
        )
        filing = Filing.HELD if reply.held else Filing.FOLLOW_UP
        return settle(inbound, filing, request, reply.held, reply.outbound)
    before = request.status
    requests.add_follow_up(session, request, inbound, sender.address, reopen=True)
    moved = f"; {before.value} -> {request.status.value}" if request.status is not before else ""
    told = staff_client_reply(
        session,
        settings,
        request,
        inbound,
        mail,
        "Client replied",
        f"added it to the thread{moved}",
        None,
    )
    return settle(inbound, Filing.FOLLOW_UP, request, outbound=told)


def _hold_in_thread(
    session: Session,
    settings: Settings,
    request: Request,
    inbound: InboundMessage,
    mail: InboundMail,
    event: tuple[str, str],
    reason: str,
    notice: tuple[str, str],
) -> Outcome:
    """Hold a message in a request's thread for staff: an event (kind, actor) with the
    reason, and a notice to staff (its title, and what was not done)."""
    kind, actor = event
    requests.record(session, request, kind, actor, inbound, reason)
    title, not_done = notice
    told = staff_client_reply(
        session, settings, request, inbound, mail, title, f"held it: {not_done}", reason
    )
    return settle(inbound, Filing.HELD, request, reason, told)

"""`intake run --once --dry-run`: read the mailbox and file what is new the way `run --once`
would, then undo it all. The folder is opened read-only (EXAMINE) and read with BODY.PEEK,
so no flag changes on the server; filing runs in one transaction that is rolled back, so the
database keeps no message, cursor, request or email; nothing is queued or sent."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import Session, sessionmaker

from intake.db import check_connection, make_engine, session_factory, utcnow
from intake.filing.files import check_files
from intake.filing.outcome import Outcome
from intake.filing.service import file_batch
from intake.mail import store
from intake.mail.mailbox import Mailbox, by_size
from intake.mail.models import Filing, InboundMessage
from intake.mail.parsing import extract_message_id, message_key
from intake.settings import ImapSettings, Settings

# What each filing is called in a preview line.
_FILED = {
    Filing.REQUEST: "new request",
    Filing.FOLLOW_UP: "follow-up on",
    Filing.MACHINE: "machine mail",
    Filing.HELD: "held for staff",
    Filing.COMMAND: "client command answered",
    Filing.FAILED: "parked, unreadable",
}


@dataclass(frozen=True)
class Preview:
    """What ``run --once`` would do with one message in the folder."""

    uid: int
    sender: str
    subject: str
    filed: str  # "new request REQ-1004", "already stored", ...
    sends: tuple[str, ...]  # "'[REQ-1004] Site down' to alice@acme.example", ...

    def line(self) -> str:
        sends = "; would send " + ", ".join(self.sends) if self.sends else "; sends nothing"
        sender = self.sender or "(no sender)"
        return f"UID {self.uid}  {sender}  {self.subject!r}: {self.filed}{sends}"


def dry_run(settings: Settings) -> list[Preview]:
    """What ``run --once`` would file and send now, changing nothing anywhere: each
    mailbox in turn, in one transaction rolled back at the end."""
    check_files(settings)
    engine = make_engine(settings.database_url)
    try:
        check_connection(engine)
        factory = session_factory(engine)
        with factory() as session:
            session.info["dry_run"] = True
            try:
                return [
                    preview
                    for imap in (m.imap for m in settings.mailboxes)
                    for preview in _mailbox_preview(session, settings, imap, factory)
                ]
            finally:
                session.rollback()
    finally:
        engine.dispose()


def _mailbox_preview(
    session: Session, settings: Settings, imap: ImapSettings, factory: sessionmaker[Session]
) -> list[Preview]:
    mailbox = Mailbox(imap, readonly=True, database=factory)
    try:
        uidvalidity = mailbox.connect()
        return list(_preview(session, settings, imap, mailbox, uidvalidity))
    finally:
        mailbox.close()


def _preview(
    session: Session, settings: Settings, imap: ImapSettings, mailbox: Mailbox, uidvalidity: int
) -> Iterator[Preview]:
    name = imap.mailbox_name
    last_uid, history_until = store.starting_point(store.read_cursor(session, name), uidvalidity)
    if history_until is None:
        history_until = mailbox.last_uid()
    uids = mailbox.uids_after(last_uid)
    limit = int(imap.batch_megabytes * 1024 * 1024)
    now, within = utcnow(), imap.answer_existing_within
    for chunk in by_size(uids, mailbox.sizes(uids), limit):
        for item in store.with_history(mailbox.fetch(chunk), history_until, now, within):
            ids = store.store_raw(session, name, uidvalidity, [item])
            if not ids:
                yield _already_stored(session, item)
                continue
            yield _previewed(session, item, ids[0], file_batch(session, settings, ids))


def _already_stored(session: Session, item: store.Fetched) -> Preview:
    key = message_key(item.raw, extract_message_id(item.raw))[:600]
    found = session.scalar(sa.select(InboundMessage).where(InboundMessage.message_key == key))
    sender = (found.from_address or "") if found is not None else ""
    subject = (found.subject or "") if found is not None else ""
    return Preview(item.uid or 0, sender, subject, "already stored", ())


def _previewed(
    session: Session, item: store.Fetched, inbound_id: int, outcomes: list[Outcome]
) -> Preview:
    inbound = session.get_one(InboundMessage, inbound_id)
    mine = [o for o in outcomes if o.inbound_id == inbound_id]
    outcome = mine[0] if mine else None
    if outcome is None:
        filed = "not filed"
    else:
        filed = _FILED[outcome.filing]
        if outcome.request_ref:
            on = " on" if outcome.filing is Filing.MACHINE else ""
            filed += f"{on} {outcome.request_ref}"
        if inbound.history:
            filed += " (history)"
        elif outcome.reason and outcome.filing in (Filing.HELD, Filing.MACHINE, Filing.FAILED):
            filed += f" ({outcome.reason})"
    sends = tuple(
        f"{message.subject!r} to {', '.join(message.recipients)}"
        for o in outcomes
        for message in o.outbound
    )
    return Preview(item.uid or 0, inbound.from_address or "", inbound.subject or "", filed, sends)

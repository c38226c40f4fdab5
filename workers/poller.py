"""The poller: read new mail, store it, then flag it \\Seen and enqueue its filing.

Store before you acknowledge: the raw bytes and the cursor are committed in one
transaction before the server hears anything. A crash anywhere re-reads at most one
batch, and the unique key stores nothing twice.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator

from intake.db import utcnow
from intake.errors import AuthorizationLost, LoginRejected, MailboxBusy, ServerUnreachable
from intake.mail import store, tokens
from intake.mail.lock import mailbox_lock
from intake.mail.mailbox import CONNECTION_ERRORS, Mailbox, by_size
from intake.outbox import notices
from intake.settings import ImapSettings
from workers import filing, runtime

log = logging.getLogger(__name__)


class Poller:
    def __init__(
        self,
        rt: runtime.Runtime,
        stop: threading.Event | None = None,
        imap: ImapSettings | None = None,
    ) -> None:
        self.rt = rt
        self.settings = imap or rt.settings.imap
        self.stop = stop or threading.Event()
        self.mailbox_name = self.settings.mailbox_name
        self._caught_up = False

    def drain(self, mailbox: Mailbox, uidvalidity: int) -> int:
        """Store and enqueue all mail now in the folder past the cursor; return how many."""
        with self.rt.transaction() as session:
            cursor = store.read_cursor(session, self.mailbox_name)
        last_uid, history_until = store.starting_point(cursor, uidvalidity)
        if history_until is None:
            history_until = mailbox.last_uid()
            self._first_reading(history_until)
        if cursor is None or cursor.uidvalidity != uidvalidity:
            if cursor is not None:
                log.warning(
                    "UIDVALIDITY of %s changed (%s -> %s): re-reading the folder; stored "
                    "mail is recognised by its key and not filed twice",
                    self.mailbox_name,
                    cursor.uidvalidity,
                    uidvalidity,
                )
            with self.rt.transaction() as session:
                store.save_cursor(session, self.mailbox_name, uidvalidity, 0, history_until)
        if last_uid and not self._caught_up:
            # A poller killed between its commit and its \Seen flags left stored mail
            # unseen on the server: acknowledge it now.
            mailbox.mark_seen(mailbox.unseen_up_to(last_uid))
        self._caught_up = True
        stored = 0
        # Search again until nothing is new: mail that arrives while a batch is read is
        # announced during that batch's commands, and IDLE would not announce it again.
        while not self.stop.is_set() and (uids := mailbox.uids_after(last_uid)):
            for chunk in self._batches(mailbox, uids):
                if self.stop.is_set():
                    break
                fetched = store.with_history(
                    mailbox.fetch(chunk),
                    history_until,
                    utcnow(),
                    self.settings.answer_existing_within,
                )
                with self.rt.transaction() as session:
                    ids = store.store_raw(session, self.mailbox_name, uidvalidity, fetched)
                    store.save_cursor(session, self.mailbox_name, uidvalidity, max(chunk))
                    store.mark_enqueued(session, ids)
                mailbox.mark_seen(chunk)
                self._enqueue(ids)
                stored += len(ids)
                last_uid = max(last_uid, *chunk)
                log.info(
                    "stored %d new of %d fetched (up to UID %d)", len(ids), len(chunk), chunk[-1]
                )
        return stored

    def _first_reading(self, history_until: int) -> None:
        if not history_until:
            return
        within = self.settings.answer_existing_within
        log.info(
            "first reading of %s: the mail already there (up to UID %d) is filed as history, "
            "with no reply to anyone%s",
            self.mailbox_name,
            history_until,
            f", except unread mail of the last {within / 3600:g} h" if within else "",
        )

    def _batches(self, mailbox: Mailbox, uids: list[int]) -> Iterator[list[int]]:
        """Runs of at most ``batch_size`` messages and ``batch_megabytes`` of mail."""
        size = self.settings.batch_size
        limit = int(self.settings.batch_megabytes * 1024 * 1024)
        for start in range(0, len(uids), size):
            chunk = uids[start : start + size]
            yield from by_size(chunk, mailbox.sizes(chunk), limit)

    def _enqueue(self, ids: list[int]) -> None:
        try:
            filing.enqueue_filing(ids)
        except Exception as exc:  # the queue is only a carrier: the sweeper re-sends
            log.warning("could not enqueue %d messages (%s); the sweeper will", len(ids), exc)

    def run_once(self) -> int:
        """Take all mail now in the mailbox and return; errors are raised, not retried."""
        with mailbox_lock(self.rt.engine, self.mailbox_name, self.stop):
            mailbox = Mailbox(self.settings, database=self.rt.factory)
            try:
                uidvalidity = mailbox.connect()
                return self.drain(mailbox, uidvalidity)
            finally:
                mailbox.close()

    def run_forever(self) -> None:
        """Poll until stopped, waiting in IDLE between batches and reconnecting with backoff.

        A rejected login or a missing folder at the first connection is raised: that is
        a setting to fix, not a passing outage.
        """
        try:
            with mailbox_lock(self.rt.engine, self.mailbox_name, self.stop):
                self._loop()
        except MailboxBusy:
            if not self.stop.is_set():
                raise

    def _loop(self) -> None:
        backoff = 1.0
        connected_once = False
        while not self.stop.is_set():
            mailbox = Mailbox(self.settings, database=self.rt.factory)
            try:
                uidvalidity = mailbox.connect()
                self._caught_up = False
                connected_once = True
                backoff = 1.0
                self._signed_in(mailbox)
                log.info("reading %s (IDLE: %s)", self.mailbox_name, mailbox.can_idle)
                while not self.stop.is_set():
                    self.drain(mailbox, uidvalidity)
                    mailbox.wait_for_mail(self.stop)
                    uidvalidity = mailbox.reselect()
            except AuthorizationLost as exc:
                # Not a crash: mail waits on the server until someone signs in again,
                # and the next try picks up the new refresh token.
                self._signed_out(mailbox, exc)
            except (LoginRejected, ServerUnreachable) as exc:
                if not connected_once and isinstance(exc, LoginRejected):
                    raise
                log.warning("%s; retrying in %.0f s", exc, backoff)
            except CONNECTION_ERRORS as exc:
                log.warning("lost the IMAP connection (%s); reconnecting in %.0f s", exc, backoff)
            finally:
                mailbox.close()
            self.stop.wait(backoff)
            backoff = min(backoff * 2, self.settings.reconnect_max)

    def _signed_out(self, mailbox: Mailbox, exc: AuthorizationLost) -> None:
        """One line and one email to staff for each time the refresh token stops working;
        later tries that fail the same way say nothing more."""
        assert mailbox.tokens is not None and self.settings.oauth2 is not None
        with self.rt.transaction() as session:
            if not tokens.note_refused(session, mailbox.tokens.account):
                log.debug("%s (still)", exc)
                return
            notice = notices.staff_mailbox_login(
                session,
                self.rt.settings,
                self.settings.username,
                self.settings.oauth2.provider,
                str(exc),
            )
            session.flush()
            ids = [notice.id] if notice is not None else []
        log.error("%s; mail waits on the server meanwhile", exc)
        if ids:
            filing.enqueue_sending(ids)

    def _signed_in(self, mailbox: Mailbox) -> None:
        if mailbox.tokens is not None:
            with self.rt.transaction() as session:
                tokens.note_accepted(session, mailbox.tokens.account)

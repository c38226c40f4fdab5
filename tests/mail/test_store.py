"""Storing raw mail: once per message, never losing a different one with the same id."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from intake.mail.models import Filing, InboundMessage
from intake.mail.store import (
    Cursor,
    Fetched,
    claim_stale,
    is_history,
    read_cursor,
    save_cursor,
    store_raw,
)
from tests.mailbuilder import message

BOX = "support@imap:143/INBOX"


def stored(session) -> list[InboundMessage]:
    return list(session.scalars(sa.select(InboundMessage).order_by(InboundMessage.id)))


def test_a_message_is_stored_once_however_often_it_is_fetched(session):
    raw = message(message_id="one@acme.example")
    first = store_raw(session, BOX, 7, [Fetched(1, raw), Fetched(2, raw)])
    again = store_raw(session, BOX, 8, [Fetched(1, b"Received: by mx2\r\n" + raw)])
    assert len(first) == 1 and again == []
    [row] = stored(session)
    assert row.message_key == "mid:one@acme.example"
    assert row.raw == raw and row.filing is Filing.PENDING and row.uid == 1


def test_the_largest_batch_the_settings_allow_is_stored_whole(session):
    # Given a fetch of imap.batch_size's maximum, 5,000 messages, a few of them known
    raws = [b"Message-ID: <%d@acme.example>\r\nSubject: s\r\n\r\nbody\r\n" % n for n in range(5000)]
    known = store_raw(session, BOX, 7, [Fetched(n, raws[n]) for n in (10, 4321)])
    # When it is stored (more parameters than one SQLite statement takes)
    new = store_raw(session, BOX, 7, [Fetched(n, raw) for n, raw in enumerate(raws)])
    # Then every message not known yet is stored once, in order
    assert len(new) == 4998 and new == sorted(new) and not set(new) & set(known)
    assert len(stored(session)) == 5000


def test_two_different_messages_sharing_a_message_id_are_both_kept(session):
    a = message(message_id="dup@broken.example", body="first text\n")
    b = message(message_id="dup@broken.example", body="another text\n")
    c = message(message_id="dup@broken.example", body="a third one\n")
    ids = store_raw(session, BOX, 1, [Fetched(1, a), Fetched(2, b)])
    ids += store_raw(session, BOX, 1, [Fetched(3, c), Fetched(3, c)])
    assert len(ids) == 3
    keys = [row.message_key for row in stored(session)]
    assert keys[0] == "mid:dup@broken.example" and len(set(keys)) == 3
    assert {row.message_id for row in stored(session)} == {"dup@broken.example"}


def test_a_message_id_reused_with_another_sender_or_subject_is_another_message(session):
    # Given a client's message, and a forger's with its Message-ID and body
    real = message(message_id="m1@acme.example", subject="Approved", sender="alice@acme.example")
    forged = real.replace(b"alice@acme.example", b"mallory@evil.example")
    retitled = real.replace(b"Subject: Approved", b"Subject: Approved: all of it")
    # When all are stored, and the real one again through another hop
    ids = store_raw(session, BOX, 1, [Fetched(1, real), Fetched(2, forged), Fetched(3, retitled)])
    ids += store_raw(
        session, BOX, 1, [Fetched(4, b"Delivered-To: support@agency.example\r\n" + real)]
    )
    # Then each different one is kept, the copy is not
    assert len(ids) == 3 and [row.raw for row in stored(session)] == [real, forged, retitled]


def test_mail_without_message_id_gets_a_content_key_stable_across_redelivery(session):
    raw = message(message_id=None)
    store_raw(session, BOX, 1, [Fetched(1, raw)])
    store_raw(session, BOX, 1, [Fetched(9, b"Received: from relay\r\n\tby mx\r\n" + raw)])
    [row] = stored(session)
    assert row.message_key.startswith("sha256:") and row.message_id is None


def test_messages_with_no_id_and_no_blank_line_after_their_headers_are_all_kept(session):
    # Given three bounces a broken list server wrote with the same headers, no Message-ID
    # and the body straight after the headers
    head = b"From: lists@old.example\r\nSubject: Undeliverable\r\n"
    raws = [
        head + b"Could not deliver to %s@acme.example\r\n" % name for name in (b"a", b"b", b"c")
    ]
    # When they are stored, and the first is fetched again through another hop
    new = store_raw(session, BOX, 7, [Fetched(n, raw) for n, raw in enumerate(raws)])
    again = store_raw(session, BOX, 7, [Fetched(9, b"Received: by mx2\r\n" + raws[0])])
    # Then each is a message of its own, and the copy is not stored twice
    assert len(new) == 3 and again == []
    assert [row.raw for row in stored(session)] == raws


def test_the_cursor_is_stored_per_mailbox(session):
    assert read_cursor(session, BOX) is None
    save_cursor(session, BOX, 42, 10)
    save_cursor(session, BOX, 42, 25)
    save_cursor(session, "other", 1, 3)
    cursor = read_cursor(session, BOX)
    assert (cursor.uidvalidity, cursor.last_uid) == (42, 25)


def test_the_sweeper_claims_pending_mail_that_was_never_enqueued(session):
    ids = store_raw(session, BOX, 1, [Fetched(n, message()) for n in range(3)])
    assert claim_stale(session, stale_after=60) == ids
    # Just enqueued: not stale any more.
    assert claim_stale(session, stale_after=60) == []
    assert claim_stale(session, stale_after=0) == ids


NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
DAY = 24 * 3600.0


@pytest.mark.parametrize(
    ("uid", "seen", "age", "within", "history"),
    [
        (5, True, timedelta(minutes=5), DAY, True),  # read already: someone saw to it
        (5, False, timedelta(hours=23), DAY, False),  # unread and recent: answered
        (5, False, timedelta(hours=25), DAY, True),  # unread but old: too late to answer
        (5, False, timedelta(minutes=1), 0.0, True),  # 0: none of it is answered
        (5, False, None, DAY, True),  # no arrival time: nothing says it is recent
        (6, True, timedelta(days=90), DAY, False),  # after the first reading: new, read or not
    ],
)
def test_mail_there_at_the_first_reading_is_history_unless_unread_and_recent(
    uid, seen, age, within, history
):
    arrived = NOW - age if age is not None else None
    item = Fetched(uid, b"", received_at=arrived, seen=seen)
    assert is_history(item, 5, NOW, within) is history


def test_the_first_reading_is_remembered_with_the_cursor(session):
    save_cursor(session, BOX, 7, 0, history_until=40)
    save_cursor(session, BOX, 7, 12)
    assert read_cursor(session, BOX) == Cursor(7, 12, 40)

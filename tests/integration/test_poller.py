"""The poller against a real Dovecot: store before acknowledging, once per message."""

from __future__ import annotations

import email
import email.policy
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from intake.cli.main import cli
from intake.db import make_engine, session_factory, transaction
from intake.errors import LoginRejected, MailboxBusy, ServerUnreachable
from intake.mail import store
from intake.mail.lock import mailbox_lock
from intake.mail.mailbox import Mailbox
from intake.mail.models import Filing, InboundMessage
from intake.requests.models import Request
from intake.settings import ImapSettings
from intake.views.status import status_report
from tests.factories import add_example_clients
from tests.integration.running import cursors, intake_running, wait_for
from tests.mailbuilder import message
from workers import runner
from workers.preview import dry_run


def imap_of(dovecot, **extra):
    return {
        "host": dovecot.host,
        "port": dovecot.port,
        "security": "none",
        "username": dovecot.user,
        "password": dovecot.password,
        **extra,
    }


def smtp_of(sink):
    return {"host": sink.host, "port": sink.port, "security": "none"}


@pytest.fixture
def factory(db_url):
    engine = make_engine(db_url)
    factory = session_factory(engine)
    with transaction(factory) as session:
        add_example_clients(session)
    yield factory
    engine.dispose()


def subject_of(raw: bytes) -> str:
    return str(email.message_from_bytes(raw, policy=email.policy.default)["subject"])


def filings(factory) -> list[Filing]:
    with transaction(factory) as session:
        return list(session.scalars(sa.select(InboundMessage.filing).order_by(InboundMessage.uid)))


def test_run_once_files_all_mail_and_only_then_marks_it_seen(
    dovecot, smtp_sink, make_settings, db_url, factory
):
    # Given a mailbox with new requests, a reply, an auto-reply and a stranger
    raws = [message(subject=f"Request {n}", message_id=f"r{n}@acme.example") for n in range(7)]
    raws.append(message(subject="Re: Request 0", in_reply_to="r0@acme.example"))
    raws.append(message(subject="Away", headers={"Auto-Submitted": "auto-replied"}))
    raws.append(message(sender="x@spam.example", subject="Cheap"))
    dovecot.append_many(raws)
    settings = make_settings(
        database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot, batch_size=3)
    )
    # When intake runs once
    stored = runner.run_once(settings, timeout=60)
    # Then every message is filed once, and flagged \Seen on the server (never deleted)
    assert stored == 10
    assert filings(factory) == [Filing.REQUEST] * 7 + [
        Filing.FOLLOW_UP,
        Filing.MACHINE,
        Filing.HELD,
    ]
    assert len(dovecot.uids()) == 10
    assert all(b"\\Seen" in dovecot.flags(uid) for uid in dovecot.uids())
    # And a second run finds nothing new
    assert runner.run_once(settings, timeout=60) == 0
    with transaction(factory) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 8


def test_a_request_is_timed_from_when_its_mail_reached_the_mailbox(
    dovecot, smtp_sink, make_settings, db_url, factory
):
    # Given mail that reached the mailbox two hours ago, while intake was down, and unread
    # mail of ten days ago in a mailbox intake reads for the first time, told to answer
    # unread mail of the last month
    now = datetime.now(UTC).replace(microsecond=0)
    late, old = now - timedelta(hours=2), now - timedelta(days=10)
    dovecot.append(
        message(subject="Checkout down", message_id="late@acme.example"), received_at=late
    )
    dovecot.append(message(subject="Old question", message_id="old@acme.example"), received_at=old)
    imap = imap_of(dovecot, answer_existing_within=30 * 24 * 3600.0)
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap)
    # When intake runs
    runner.run_once(settings, timeout=60)
    # Then both arrival times are stored; the first request opened when its mail arrived
    # (its clocks ran while intake was down), the old one when it was filed (beyond the
    # three days of sla.from_arrival_within, so it is not opened already overdue)
    with transaction(factory) as session:
        arrived = dict(
            session.execute(sa.select(InboundMessage.message_id, InboundMessage.received_at)).all()
        )
        opened = dict(session.execute(sa.select(Request.subject, Request.opened_at)).all())
    assert arrived == {"late@acme.example": late, "old@acme.example": old}
    assert opened["Checkout down"] == late
    assert opened["Old question"] >= now


def test_a_uidvalidity_change_rereads_the_folder_without_filing_twice(
    dovecot, smtp_sink, make_settings, db_url, factory
):
    raws = [message(subject=f"Request {n}") for n in range(3)]
    dovecot.append_many(raws)
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot))
    assert runner.run_once(settings, timeout=60) == 3
    before = dovecot.uidvalidity()
    dovecot.recreate_folder([*raws, message(subject="Brand new")])
    assert dovecot.uidvalidity() != before
    assert runner.run_once(settings, timeout=60) == 1
    assert filings(factory) == [Filing.REQUEST] * 4


def test_a_second_poller_waits_for_the_first(dovecot, smtp_sink, make_settings, db_url, factory):
    dovecot.append(message())
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot))
    engine = make_engine(db_url)
    finished = threading.Event()
    with mailbox_lock(engine, settings.imap.mailbox_name):
        with (
            pytest.raises(MailboxBusy),
            mailbox_lock(engine, settings.imap.mailbox_name, wait=False),
        ):
            pass
        waiting = threading.Thread(
            target=lambda: (runner.run_once(settings, timeout=60), finished.set())
        )
        waiting.start()
        time.sleep(1.5)
        assert not finished.is_set() and filings(factory) == []
    waiting.join(timeout=30)
    assert finished.is_set() and filings(factory) == [Filing.REQUEST]
    engine.dispose()


def test_a_running_poller_files_new_mail_announced_by_idle(
    dovecot, smtp_sink, make_settings, db_url, factory
):
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot))
    with intake_running(settings) as service:
        wait_for(lambda: cursors(factory) == 1, 20)
        for n in range(3):
            dovecot.append(message(subject=f"Live {n}"))
            wait_for(lambda n=n: filings(factory).count(Filing.REQUEST) == n + 1, 10)
        assert filings(factory) == [Filing.REQUEST] * 3
    assert not service.is_alive()


def test_unreachable_server_and_rejected_login_are_one_line_naming_the_setting(dovecot):
    closed = ImapSettings(host="127.0.0.1", port=1, security="none")
    with pytest.raises(ServerUnreachable, match=r"^imap\.host: cannot reach 127\.0\.0\.1:1"):
        Mailbox(closed).connect()
    wrong = ImapSettings(**{**imap_of(dovecot), "password": "wrong"})
    with pytest.raises(LoginRejected, match=r"^imap\.username/imap\.password: "):
        Mailbox(wrong).connect()
    missing = ImapSettings(**{**imap_of(dovecot), "folder": "Nope"})
    with pytest.raises(ServerUnreachable, match=r"^imap\.folder: cannot open 'Nope'"):
        Mailbox(missing).connect()


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_mail_is_read_over_tls_with_a_verified_certificate(tls_dovecot, security):
    # Given Dovecot with a certificate from an authority this machine trusts
    uid = tls_dovecot.append(message(subject="Over TLS"))
    port = tls_dovecot.ssl_port if security == "ssl" else tls_dovecot.port
    settings = ImapSettings(**{**imap_of(tls_dovecot), "port": port, "security": security})
    # When intake reads the mailbox with that security setting
    mailbox = Mailbox(settings)
    try:
        mailbox.connect()
        [fetched] = mailbox.fetch(mailbox.uids_after(0))
    finally:
        mailbox.close()
    # Then it gets the message, unchanged
    assert fetched.uid == uid and b"Subject: Over TLS" in fetched.raw


@pytest.mark.parametrize("security", ["ssl", "starttls"])
def test_an_untrusted_imap_certificate_is_one_line_naming_the_setting(
    tls_dovecot, monkeypatch, security
):
    monkeypatch.delenv("SSL_CERT_FILE")
    port = tls_dovecot.ssl_port if security == "ssl" else tls_dovecot.port
    settings = ImapSettings(**{**imap_of(tls_dovecot), "port": port, "security": security})
    with pytest.raises(ServerUnreachable, match=r"^imap\.host: .*certificate verify failed"):
        Mailbox(settings).connect()


def test_a_running_poller_reconnects_after_the_connection_is_cut_or_the_server_restarts(
    dovecot, smtp_sink, make_settings, db_url, factory
):
    # Given a running poller that backs off at most one second between reconnections
    imap = imap_of(dovecot, reconnect_max=1.0)
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap)
    with intake_running(settings) as service:
        dovecot.append(message(subject="Before"))
        wait_for(lambda: filings(factory) == [Filing.REQUEST], 20)
        # When the server cuts its connection, and mail arrives meanwhile
        dovecot.kick()
        dovecot.append(message(subject="After the cut"))
        # Then the poller reconnects and files it
        wait_for(lambda: filings(factory) == [Filing.REQUEST] * 2, 20)
        # When the server is down for two seconds and comes back with more mail
        dovecot.restart(down_for=2.0)
        dovecot.append(message(subject="After the restart"))
        # Then that is filed too, once
        wait_for(lambda: filings(factory) == [Filing.REQUEST] * 3, 20)
        dovecot.append(message(subject="Announced again"))
        wait_for(lambda: filings(factory) == [Filing.REQUEST] * 4, 20)
    assert not service.is_alive()
    with transaction(factory) as session:
        subjects = session.scalars(sa.select(Request.subject).order_by(Request.number)).all()
    assert subjects == ["Before", "After the cut", "After the restart", "Announced again"]


def test_mail_arriving_while_a_batch_is_read_is_taken_before_waiting_for_more(
    dovecot, smtp_sink, make_settings, db_url, factory, monkeypatch
):
    # Given a mailbox where a message lands just as the poller flags the first one \Seen
    # (Dovecot announces it in answer to that command, so IDLE later would stay silent)
    arrivals = [message(subject="Arrived during the batch")]

    class ArrivingMailbox(Mailbox):
        def mark_seen(self, uids):
            super().mark_seen(uids)
            if arrivals:
                dovecot.append(arrivals.pop())
                self.client.noop()  # the announcement comes now, not at IDLE

    monkeypatch.setattr("workers.poller.Mailbox", ArrivingMailbox)
    dovecot.append(message(subject="First"))
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot))
    # When the poller reads the mailbox once
    stored = runner.run_once(settings, timeout=60)
    # Then it took both, without waiting for an announcement that would never come
    assert stored == 2
    assert filings(factory) == [Filing.REQUEST, Filing.REQUEST]


def test_mail_arriving_while_the_last_search_runs_is_taken_without_waiting_for_idle(
    dovecot, smtp_sink, make_settings, db_url, factory, monkeypatch
):
    # Given a mailbox where a message lands while the poller's search for new mail runs,
    # after the search looked (Dovecot announces it in that search's answer, so IDLE
    # afterwards stays silent; here the announcement comes with a command just after)
    arrivals = [message(subject="Arrived during the search")]

    class ArrivingMailbox(Mailbox):
        def uids_after(self, last_uid):
            found = super().uids_after(last_uid)
            if not found and arrivals:
                dovecot.append(arrivals.pop())
                self.client.noop()
            return found

    monkeypatch.setattr("workers.poller.Mailbox", ArrivingMailbox)
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot))
    # When the poller runs, waiting in IDLE (renewed every 25 minutes) when it finds nothing
    with intake_running(settings) as service:
        # Then it files the message at once instead of at the next IDLE renewal
        wait_for(lambda: filings(factory) == [Filing.REQUEST], 15)
        assert not arrivals
    assert not service.is_alive()


def test_a_backlog_of_large_mail_is_read_a_few_megabytes_at_a_time(
    dovecot, smtp_sink, make_settings, db_url, factory, caplog
):
    # Given three messages of about 0.6 MB each, and batches of at most 1 MB
    attachment = [("scan.pdf", "application/pdf", bytes(450_000))]
    dovecot.append_many([message(subject=f"Scan {n}", attachments=attachment) for n in range(3)])
    imap = imap_of(dovecot, batch_megabytes=1.0)
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap)
    # When intake reads the mailbox
    with caplog.at_level("INFO", logger="workers.poller"):
        stored = runner.run_once(settings, timeout=60)
    # Then each is read in a batch of its own, and all three are filed
    batches = [r.getMessage() for r in caplog.records if r.getMessage().startswith("stored")]
    assert batches == [
        "stored 1 new of 1 fetched (up to UID 1)",
        "stored 1 new of 1 fetched (up to UID 2)",
        "stored 1 new of 1 fetched (up to UID 3)",
    ]
    assert stored == 3 and filings(factory) == [Filing.REQUEST] * 3


def test_the_first_run_on_a_used_mailbox_answers_only_unread_recent_mail(
    dovecot, smtp_sink, make_settings, db_url, factory
):
    # Given a mailbox intake has never read: a conversation read days ago, unread mail of
    # last week, and unread mail of an hour ago
    now = datetime.now(UTC).replace(microsecond=0)
    seen = ["\\Seen"]
    dovecot.append(
        message(subject="Checkout broken", message_id="h1@acme.example"),
        flags=seen,
        received_at=now - timedelta(days=3),
    )
    dovecot.append(
        message(subject="Re: Checkout broken", body="Works now.\n", in_reply_to="h1@acme.example"),
        flags=seen,
        received_at=now - timedelta(days=2),
    )
    dovecot.append(message(subject="Export is slow"), received_at=now - timedelta(days=8))
    dovecot.append(message(subject="Site down"), received_at=now - timedelta(hours=1))
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot))
    # When intake runs for the first time
    assert runner.run_once(settings, timeout=60) == 4
    # Then every message is stored and filed, and only the unread recent one was answered
    with transaction(factory) as session:
        history = dict(
            session.execute(sa.select(InboundMessage.subject, InboundMessage.history)).all()
        )
        status = dict(session.execute(sa.select(Request.subject, Request.status)).all())
        report = status_report(session)
    assert report["inbound"]["history"] == 3
    assert history == {
        "Checkout broken": True,
        "Re: Checkout broken": True,
        "Export is slow": True,
        "Site down": False,
    }
    assert set(status) == {"Checkout broken", "Export is slow", "Site down"}
    assert status["Checkout broken"] == status["Export is slow"] == "done"
    sent = [subject_of(m.raw) for m in smtp_sink.messages]
    assert sent and all("Site down" in subject for subject in sent), sent
    # When mail arrives after that first reading, even mail already read in webmail
    smtp_sink.clear()
    dovecot.append(message(subject="Invoice address"), flags=seen)
    runner.run_once(settings, timeout=60)
    # Then it is answered
    assert any("Invoice address" in subject_of(m.raw) for m in smtp_sink.messages)


def test_a_dry_run_shows_what_a_run_would_do_and_changes_nothing(
    dovecot, smtp_sink, make_settings, db_url, factory, tmp_path
):
    # Given a mailbox intake has never read: an old conversation already read, a client's
    # new request and a stranger's offer
    now = datetime.now(UTC).replace(microsecond=0)
    dovecot.append(
        message(subject="Logo swap", message_id="old@acme.example"),
        flags=["\\Seen"],
        received_at=now - timedelta(days=30),
    )
    dovecot.append(message(subject="Site down"))
    dovecot.append(message(sender="seo@offers.example", subject="Rank first on Google"))
    settings = make_settings(database_url=db_url, smtp=smtp_of(smtp_sink), imap=imap_of(dovecot))
    # When intake runs once as a dry run
    lines = [p.line() for p in dry_run(settings)]
    # Then it prints one line a message: what it would file, and what it would send to whom
    assert len(lines) == 3
    assert lines[0].startswith("UID 1  alice@acme.example  'Logo swap': new request REQ-1001")
    assert "(history)" in lines[0] and lines[0].endswith("sends nothing")
    assert "'Site down': new request REQ-1002" in lines[1]
    assert "to alice@acme.example" in lines[1] and "to dana@agency.example" in lines[1]
    assert "held for staff REQ-1003 (unknown sender seo@offers.example)" in lines[2]
    assert "to seo@offers.example" not in lines[2]
    # and the command prints the same, and says it changed nothing
    config = tmp_path / "intake.toml"
    config.write_text(
        f'database_url = "{db_url}"\n'
        '[[staff]]\nemail = "dana@agency.example"\n'
        f'[imap]\nhost = "{dovecot.host}"\nport = {dovecot.port}\nsecurity = "none"\n'
        f'username = "{dovecot.user}"\npassword = "{dovecot.password}"\n'
    )
    shown = CliRunner().invoke(cli, ["--config", str(config), "run", "--once", "--dry-run"])
    assert shown.exit_code == 0, shown.output
    assert shown.output.splitlines() == [
        *lines,
        "dry run: 3 messages read; nothing was stored, flagged or sent",
    ]
    # and nothing changed: no flag on the server, no row in the database, no email
    assert dovecot.uids("UNSEEN") == [2, 3]
    with transaction(factory) as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(InboundMessage)) == 0
        assert session.scalar(sa.select(sa.func.count()).select_from(Request)) == 0
        assert store.read_cursor(session, settings.imap.mailbox_name) is None
    assert smtp_sink.messages == []
    # When it then runs for real, it does what the dry run said, under the same numbers
    runner.run_once(settings, timeout=60)
    with transaction(factory) as session:
        refs = dict(session.execute(sa.select(Request.subject, Request.number)).all())
    assert refs == {"Logo swap": 1001, "Site down": 1002, "Rank first on Google": 1003}

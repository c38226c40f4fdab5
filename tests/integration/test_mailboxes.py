"""Several mailboxes ([[mailbox]]): each read by its own poller, each request answered from
the address it came in on (its brand in From, its SMTP server, its own per-quote reply
address), and one mailbox whose server is down does not stop the other."""

from __future__ import annotations

import email
from datetime import UTC, datetime
from email.policy import default
from email.utils import parseaddr

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from intake.cli.main import cli
from intake.db import transaction
from intake.mail.models import Filing
from intake.requests.models import Request
from tests.integration.running import cursors, intake_running, wait_for
from tests.integration.test_poller import factory as factory
from tests.integration.test_poller import filings, imap_of, smtp_of
from tests.mailbuilder import message
from tests.servers.dovecot import Dovecot
from tests.servers.smtp import SmtpSink
from workers import runner

pytestmark = pytest.mark.integration

BRAND = "billing@brand.example"


@pytest.fixture
def second():
    """The second mailbox's own Dovecot and SMTP server."""
    server, sink = Dovecot(user="billing").start(), SmtpSink().start()
    try:
        yield server, sink
    finally:
        server.stop(wait=False)
        sink.stop()


@pytest.fixture
def two(dovecot, smtp_sink, second, make_settings, db_url):
    other, other_sink = second
    return make_settings(
        database_url=db_url,
        mailbox=[
            {
                "address": "support@agency.example",
                "imap": imap_of(dovecot),
                "smtp": smtp_of(smtp_sink),
            },
            {
                "address": BRAND,
                "brand": "Brand Two",
                "imap": imap_of(other),
                "smtp": smtp_of(other_sink),
            },
        ],
    )


def parsed(sink):
    return [email.message_from_bytes(m.raw, policy=default) for m in sink.messages]


def test_each_request_is_answered_from_the_mailbox_it_came_in_on(
    dovecot, smtp_sink, second, two, factory, tmp_path
):
    other, other_sink = second
    # Given Alice writes to support@ and Zoe to billing@ of another brand
    dovecot.append(message(subject="Checkout is broken", body="Error 500 on checkout.\n"))
    other.append(
        message(
            sender="zoe@zed.example",
            name="Zoe Weber",
            to=BRAND,
            subject="Could you add CSV export of orders?",
            body="Could you add a CSV export of all orders?\n",
        )
    )
    # When intake reads both mailboxes once
    assert runner.run_once(two, timeout=60) == 2
    # Then Alice's answer left support@'s server from support@, Zoe's billing@'s from billing@
    [to_alice] = [m for m in parsed(smtp_sink) if "alice@acme.example" in m["To"]]
    [to_zoe] = [m for m in parsed(other_sink) if "zoe@zed.example" in m["To"]]
    assert parseaddr(to_alice["From"])[1] == "support@agency.example"
    assert parseaddr(to_zoe["From"]) == ("Brand Two", BRAND)
    assert "Brand Two support" in to_zoe.get_body(("plain",)).get_content()
    assert not [m for m in parsed(smtp_sink) if "zoe@zed.example" in m["To"]]
    # and Zoe's quote is to be answered at billing@'s own per-quote address
    reply_to = parseaddr(to_zoe["Reply-To"])[1]
    assert reply_to.startswith("billing+") and reply_to.endswith("@brand.example")
    # When she approves there, with her PO, it reaches the quote through that mailbox
    other.append(
        message(
            sender="zoe@zed.example",
            name="Zoe Weber",
            to=reply_to,
            subject=f"Re: {to_zoe['Subject']}",
            in_reply_to=to_zoe["Message-ID"].strip("<>"),
            body="Approved, PO 7781\n",
            date=datetime.now(UTC),  # after the quote it answers
        )
    )
    runner.run_once(two, timeout=60)
    with transaction(factory) as session:
        zoe = session.scalar(sa.select(Request).where(Request.contact_email == "zoe@zed.example"))
        assert zoe is not None and zoe.status.value == "approved"
    # And `requests list --mailbox` shows each mailbox's requests
    config = tmp_path / "intake.toml"
    config.write_text(_toml(two))
    shown = CliRunner().invoke(
        cli, ["--config", str(config), "requests", "list", "--mailbox", BRAND, "--json"]
    )
    assert shown.exit_code == 0, shown.output
    assert '"contact": "zoe@zed.example"' in shown.output and "alice@" not in shown.output
    wrong = CliRunner().invoke(
        cli, ["--config", str(config), "requests", "list", "--mailbox", "x@y.z"]
    )
    assert wrong.exit_code == 2 and "--mailbox: x@y.z is none of the mailboxes" in wrong.output


def test_a_mailbox_whose_server_is_down_leaves_the_other_one_filing(dovecot, second, two, factory):
    other, _ = second
    with intake_running(two) as service:
        wait_for(lambda: cursors(factory) == 2, 20)
        # When billing@'s server goes away
        other.stop()
        # Then mail to support@ is still filed while it is down
        dovecot.append(message(subject="Still here?"))
        wait_for(lambda: filings(factory) == [Filing.REQUEST], 15)
        assert service.is_alive()
    assert not service.is_alive()


def _toml(settings) -> str:
    lines = [f'database_url = "{settings.database_url}"']
    for mailbox in settings.mailbox:
        lines += [
            "[[mailbox]]",
            f'address = "{mailbox.address}"',
            "[mailbox.imap]",
            f'host = "{mailbox.imap.host}"',
            f"port = {mailbox.imap.port}",
            f'username = "{mailbox.imap.username}"',
            'security = "none"',
            "[mailbox.smtp]",
            f'host = "{mailbox.smtp.host}"',
            f"port = {mailbox.smtp.port}",
            'security = "none"',
        ]
    return "\n".join(lines) + "\n"

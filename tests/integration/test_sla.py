"""SLA alerts end to end: `intake run` with its scheduler, a critical request on a plan
whose critical clock runs around the clock, alerts read at the aiosmtpd sink."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import sqlalchemy as sa

from intake.clients.models import Client
from intake.db import transaction, utcnow
from intake.requests.models import Request
from intake.requests.states import Status
from tests.integration.running import intake_running, wait_for
from tests.integration.test_poller import factory as factory
from tests.integration.test_replies import parsed
from tests.integration.test_replies import settings_for as settings_for
from tests.mailbuilder import STAFF_AUTH, message
from workers import runner


def age(factory, minutes: int) -> None:
    """Move the request's opening (and its history) ``minutes`` into the past."""
    with transaction(factory) as session:
        request = session.scalar(sa.select(Request))
        then = utcnow() - timedelta(minutes=minutes)
        request.opened_at = then
        for event in request.events:
            event.at = then


def sla_mail(sink) -> list[str]:
    return [m["Subject"] for m in parsed(sink) if "SLA" in m["Subject"]]


def test_a_warning_and_a_breach_are_each_sent_once(dovecot, smtp_sink, settings_for, factory):
    # Given Acme is on premium: a critical request must be answered within 1 h, day or night
    with transaction(factory) as session:
        session.scalar(sa.select(Client).where(Client.slug == "acme")).plan = "premium"
    dovecot.append(message(subject="Site down", body="The whole site is down for everyone!\n"))
    settings = settings_for(sla={"check_interval": 0.3})
    runner.run_once(settings, timeout=60)
    smtp_sink.clear()
    with intake_running(settings):
        # When 50 minutes of its hour have gone without a reply
        age(factory, 50)
        wait_for(lambda: len(sla_mail(smtp_sink)) == 1, 30)
        time.sleep(1.5)  # several more checks
        [warning] = sla_mail(smtp_sink)
        assert "[REQ-1001] SLA 8" in warning and "first response" in warning
        # And when the hour has passed
        age(factory, 70)
        wait_for(lambda: len(sla_mail(smtp_sink)) == 2, 30)
        time.sleep(1.5)
    # Then one warning and one breach notice went out, the breach to the lead
    subjects = sla_mail(smtp_sink)
    assert len(subjects) == 2 and "SLA breached: first response" in subjects[1]
    [breach] = [m for m in parsed(smtp_sink) if "breached" in m["Subject"]]
    assert breach["To"] == "dana@agency.example"


def history(factory, opened: datetime, waiting_since: datetime) -> None:
    """Rewrite the request's past: everything before the move to waiting_on_client at
    ``opened``, that move at ``waiting_since``; later events keep their real times."""
    with transaction(factory) as session:
        request = session.scalar(sa.select(Request))
        request.opened_at = opened
        waiting = next(e for e in request.events if e.to_status is Status.WAITING_ON_CLIENT)
        for event in request.events:
            if event.id < waiting.id:
                event.at = opened
        waiting.at = waiting_since


def _status(factory) -> Status:
    with transaction(factory) as session:
        return session.scalar(sa.select(Request.status))


def test_a_clock_paused_while_waiting_on_the_client_resumes_when_they_answer(
    dovecot, smtp_sink, settings_for, factory
):
    # Given Acme on premium (a critical request is resolved within 8 h, day or night) and
    # Dana, who answered at once and has been waiting on Alice
    with transaction(factory) as session:
        session.scalar(sa.select(Client).where(Client.slug == "acme")).plan = "premium"
    dovecot.append(
        message(
            message_id="down@acme.example", subject="Site down", body="The whole site is down!\n"
        )
    )
    settings = settings_for(sla={"check_interval": 0.3})
    runner.run_once(settings, timeout=60)
    dovecot.append(
        message(
            sender="dana@agency.example",
            name="Dana",
            subject="Re: [REQ-1001] Site down",
            in_reply_to="down@acme.example",
            body="#status waiting_on_client\n\nAlice, which page do you see?\n",
            headers=STAFF_AUTH,
        )
    )
    runner.run_once(settings, timeout=60)
    opened = utcnow() - timedelta(hours=10)
    history(factory, opened, waiting_since=opened + timedelta(minutes=30))
    smtp_sink.clear()
    with intake_running(settings):
        # When ten hours have passed, nine and a half of them waiting on Alice
        time.sleep(1.5)  # several checks
        # Then nobody is alerted: the clock ran for 30 minutes only
        assert sla_mail(smtp_sink) == []
        # When Alice answers (and, say, Dana had waited from 6.5 h on)
        dovecot.append(
            message(
                subject="Re: [REQ-1001] Site down",
                in_reply_to="down@acme.example",
                body="Every page shows error 500.\n",
            )
        )
        wait_for(lambda: _status(factory) is Status.IN_PROGRESS, 30)
        history(factory, opened, waiting_since=opened + timedelta(hours=6, minutes=30))
        # Then the clock resumes at 6.5 of 8 hours: one warning, not a breach
        wait_for(lambda: len(sla_mail(smtp_sink)) == 1, 30)
        time.sleep(1.5)
    [warning] = sla_mail(smtp_sink)
    assert "SLA 81% used: resolution" in warning

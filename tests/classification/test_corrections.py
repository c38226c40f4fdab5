"""Corrections count: staff correcting a client's own wording teach the classifier, and the
next request written that way is classified as they said."""

from __future__ import annotations

import sqlalchemy as sa

from intake.classification.models import LabelledExample
from intake.requests.models import Request
from intake.requests.states import RequestType
from tests.factories import add_example_clients
from tests.mailbuilder import STAFF_AUTH, message
from tests.pipeline import deliver

# Acme's Alice asks for content changes as "fixes"; the shipped examples read them as bugs.
ASKED = [
    ("Fix the prices page", "Please fix the prices page so it shows the 2027 prices.\n"),
    ("Fix the contact page", "Please fix the contact page so it shows our new phone number.\n"),
    ("Fix the team page", "Please fix the team page so it shows Maria as the new manager.\n"),
]
NEXT = ("Fix the menu page", "Please fix the menu page so it shows the winter dishes.\n")


def test_the_next_request_in_a_clients_corrected_wording_is_classified_as_corrected(
    session, settings
):
    add_example_clients(session)
    for subject, body in ASKED:
        deliver(session, settings, message(subject=subject, body=body))
    requests = session.scalars(sa.select(Request).order_by(Request.number)).all()
    assert [r.type for r in requests] == [RequestType.BUG] * 3
    # When Dana corrects each of them
    for request in requests:
        deliver(
            session,
            settings,
            message(
                sender="dana@agency.example",
                name="Dana",
                subject=f"Re: [{request.ref}] {request.subject}",
                body="#type feature\n",
                headers=STAFF_AUTH,
            ),
        )
    assert session.scalar(sa.select(sa.func.count()).select_from(LabelledExample)) == 3
    # Then Alice's next such request is a feature, and says the model thought so
    deliver(session, settings, message(subject=NEXT[0], body=NEXT[1]))
    latest = session.scalars(sa.select(Request).order_by(Request.number.desc())).first()
    assert latest.type is RequestType.FEATURE
    assert latest.classification["type"]["rules"][0].startswith("model: feature")

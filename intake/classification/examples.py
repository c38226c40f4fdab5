"""Staff corrections of type and severity, kept as labelled examples for the classifier."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.classification.models import LabelledExample
from intake.classification.rules import example_toml, labelled_example
from intake.mail.models import InboundMessage
from intake.requests.models import Request


def keep_correction(session: Session, request: Request, staff: str) -> LabelledExample:
    """Record what staff say the request is, with the words the classifier read (kept with
    its classification; for a request classified before that was kept, the opening
    message's new text); a later correction of the same request replaces the earlier one."""
    read = (request.classification or {}).get("read")
    if isinstance(read, str):
        text = read
    else:
        opening = session.scalar(
            sa.select(InboundMessage)
            .where(InboundMessage.request_id == request.id)
            .order_by(InboundMessage.id)
            .limit(1)
        )
        text = (opening.new_text or opening.text or "") if opening is not None else ""
    example = session.scalar(
        sa.select(LabelledExample).where(LabelledExample.request_id == request.id)
    )
    if example is None:
        example = LabelledExample(request_id=request.id)
        session.add(example)
    example.subject = request.subject
    example.text = text
    example.type = request.type.value if request.type else "question"
    example.severity = request.severity.value if request.severity else "minor"
    example.corrected_by = staff
    session.flush()
    return example


def corrections_toml(session: Session) -> str:
    """Every kept correction as ``[[request]]`` blocks to append to the labelled set."""
    examples = session.scalars(sa.select(LabelledExample).order_by(LabelledExample.id))
    return "".join(
        example_toml(labelled_example(e.subject, e.text, e.type, e.severity)) for e in examples
    )

"""The sample mailbox's answers to intake's own emails, written while the demo runs.

The sample was recorded against emails intake sent at the time, whose Message-IDs are not
the ones this run sends, and dated before this run's quotes exist. A client's answer binds
to the quote email it answers (README, "Security model"): an old "Approved" aimed at no
email of ours approves nothing. So the demo delivers these messages after intake has
answered the rest, written as the sender's mail program would write them now: in the
thread of the latest email intake sent them on that request.
"""

from __future__ import annotations

import email
import re
from datetime import datetime
from email.policy import compat32
from email.utils import format_datetime, parseaddr

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake.outbox.models import OutboundMessage
from intake.requests.models import Request

# Written after intake's replies to the rest of the sample: Zoe approving Dana's quote, and
# Dana logging the work she then did.
LATER = frozenset({"16-zoe-approves-csv-export.eml", "17-dana-logs-csv-export-done.eml"})
_REF = re.compile(r"\[REQ-(\d+)\]")


def written_now(session: Session, raw: bytes, our_domain: str, now: datetime) -> bytes:
    """``raw`` dated ``now``; if it answers an email of ours, in the thread of the one this
    run sent its author last on the request its subject names."""
    message = email.message_from_bytes(raw, policy=compat32)
    answered = str(message.get("In-Reply-To") or "").strip()
    found = _REF.search(str(message.get("Subject") or ""))
    if answered.endswith(f"@{our_domain}>") and found:
        author = parseaddr(str(message["From"]))[1].lower()
        sent = session.scalars(
            sa.select(OutboundMessage)
            .join(Request, OutboundMessage.request_id == Request.id)
            .where(Request.number == int(found[1]))
            .order_by(OutboundMessage.id.desc())
        )
        latest = next((o for o in sent if author in (r.lower() for r in o.recipients)), None)
        if latest is not None:
            ours = f"<{latest.message_id}>"
            thread = str(message.get("References") or "").replace(answered, "").split()
            message.replace_header("In-Reply-To", ours)
            message.replace_header("References", " ".join([*thread, ours]))
    message.replace_header("Date", format_datetime(now))
    return message.as_bytes()

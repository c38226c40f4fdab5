"""Emails: one template folder each, text and HTML from one context, strict and escaped."""

from __future__ import annotations

import email
import itertools
from datetime import UTC, datetime
from decimal import Decimal
from email.policy import default
from pathlib import Path

import jinja2
import pytest

from intake.outbox.compose import Envelope, compose, new_message_id
from intake.outbox.templates import BUNDLED, plan, render

BASE = {
    "agency_name": "Example Agency",
    "support_address": "support@agency.example",
    "ref": "REQ-1042",
}
QUOTE = {
    **BASE,
    "contact_name": "Zoe",
    "subject": "CSV <export>",
    "type": "feature",
    "severity": "minor",
    "hours": Decimal("4"),
    "included_hours": Decimal("0"),
    "chargeable_hours": Decimal("4"),
    "rate": Decimal("150.00"),
    "amount": Decimal("600.00"),
    "plan_name": "No plan",
    "requires_po": True,
    "start_by": "Mon 2 Nov 2026, 17:00",
    "complete_by": "Wed 4 Nov 2026",
    "no_charge_reason": "n/a",
    "sow_number": None,
}
TIERS = [
    {
        "name": "Basic",
        "fee": "500.00",
        "included": "2",
        "critical": "4 hours",
        "support": "Mon–Fri 9–17, email",
    }
]
SAMPLES = {
    "quote": QUOTE,
    "no_charge": QUOTE,
    "staff_new_request": {
        **QUOTE,
        "contact": "zoe@zed.example",
        "client_name": "Zed",
        "client_slug": "zed",
        "type_confidence": 80,
        "severity_confidence": 40,
        "type_rules": 'subject "add"',
        "severity_rules": "",
        "low_confidence": True,
        "review": "the classifier is unsure: feature 0.55, minor 0.62",
        "needs_approval": True,
        "notes": ["n"],
        "text": "Could you add <b>CSV</b>?",
    },
    "received": {**BASE, "contact_name": "Zoe", "subject": "Hi", "respond_by": "Mon 2 Nov"},
    "client_status": {
        **BASE,
        "ref": "",
        "contact_name": "Zoe Weber",
        "client_name": "Zed GmbH",
        "rows": [
            {
                "ref": "REQ-1001",
                "subject": "Export <b>",
                "status": "quoted",
                "promised": "Fri 13 Nov 2026",
                "waits": "waits for your approval",
            }
        ],
    },
    "client_hours": {
        **BASE,
        "ref": "",
        "contact_name": "Zoe Weber",
        "client_name": "Zed GmbH",
        "period_name": "December 2026",
        "plan_name": "Professional",
        "included_hours": Decimal("5"),
        "included_used": Decimal("2"),
        "included_left": Decimal("3"),
        "charged_hours": Decimal("1"),
        "billed": Decimal("1150.00"),
        "open_work": [],
    },
    "advice": {
        **BASE,
        "ref": "",
        "contact_name": "Zoe Weber",
        "client_name": "Zed GmbH",
        "span": "Sep–Nov 2026",
        "months": 3,
        "paid": "1800.00",
        "hours": "12",
        "plan_name": "No plan",
        "has_plan": False,
        "better": {"name": "Basic", "cost": "1500.00", "fee": "500.00", "covered": "12"},
        "saving": "300.00",
        "tiers": TIERS,
    },
    "introduction": {
        **BASE,
        "ref": "",
        "contact_name": "Zoe Weber",
        "client_name": "Zed GmbH",
        "tiers": TIERS,
    },
    "staff_checkin": {
        **BASE,
        "ref": "",
        "client_name": "Acme Ltd",
        "client": "acme",
        "plan_name": "Professional",
        "cadence": "quarterly",
        "due_on": "Tue 5 Jan 2027",
        "since": "Mon 5 Oct 2026",
        "held_before": True,
        "overdue": False,
        "open_requests": [
            {
                "ref": "REQ-1042",
                "subject": "Checkout slow",
                "status": "in progress",
                "promised": None,
            }
        ],
        "hours": Decimal("2.5"),
        "hours_by_type": [("feature", Decimal("2.5"))],
        "sla": {"responses": 2, "responses_on_time": 2, "resolutions": 1, "resolutions_on_time": 1},
    },
    "staff_checkin_receipt": {
        **BASE,
        "ref": "",
        "client_name": "Acme Ltd",
        "problem": None,
        "held_on": "Thu 3 Dec 2026",
        "next_due": "Wed 3 Mar 2027",
    },
    "staff_advice": {
        **BASE,
        "ref": "",
        "span": "Sep–Nov 2026",
        "lines": ["Zed GmbH: $1,800.00 hourly over Sep–Nov 2026 …: advise Basic, $300.00 less"],
        "send_to_client": False,
    },
    "client_statement": {
        **BASE,
        "ref": "",
        "contact_name": "Zoe Weber",
        "client_name": "Zed GmbH",
        "period": "2026-10",
        "sent_to": ["buchhaltung@zed.example"],
        "problem": None,
    },
    "staff_held": {
        **BASE,
        "reason": "unknown sender x@y",
        "sender": "x@y",
        "subject": "Hi",
        "text": "Hello",
    },
    "staff_statement_undeliverable": {
        "agency_name": "Example Agency",
        "support_address": "support@agency.example",
        "ref": "",
        "client": "acme",
        "client_name": "Acme Ltd",
        "period": "2026-10",
        "period_name": "October 2026",
        "recipients": "accounts@acme.example",
        "delivered_to": "",  # refused for everyone
        "reason": "550 5.1.1 user unknown",
    },
    "staff_bounce": {
        **BASE,
        "subject": "S",
        "recipients": "a@b",
        "status": "5.1.1",
        "diagnostic": "user unknown",
    },
    "staff_rate_limited": {**BASE, "address": "a@b", "limit": 5, "subject": "S"},
    "staff_mailbox_login": {
        **BASE,
        "ref": "",
        "mailbox": "a@b",
        "provider": "microsoft",
        "reason": "R",
    },
    "approved": {
        **BASE,
        "contact_name": "Zoe",
        "subject": "S",
        "approver": "Zoe Weber",
        "amount": Decimal("600.00"),
        "hours": Decimal(4),
        "po": "7781",
        "complete_by": "Wed 4 Nov 2026",
        "sow_number": "SOW-00012",
    },
    "declined": {**BASE, "contact_name": "Zoe", "subject": "S", "decliner": "Zoe Weber"},
    "po_needed": {
        **BASE,
        "contact_name": "Zoe",
        "subject": "S",
        "amount": Decimal("600.00"),
        "client_name": "Zed GmbH",
    },
    "staff_receipt": {
        **BASE,
        "subject": "S",
        "refused": False,
        "problems": [],
        "applied": ["type is now feature"],
        "relayed": "a@b",
        "status": "approved",
    },
    "staff_sla": {
        **BASE,
        "subject": "Checkout broken",
        "level": "warning",
        "clock": "first response",
        "client": "Acme Ltd",
        "status": "approved",
        "percent": 75,
        "due": "Mon 23 Nov 2026, 17:00 (Europe/London)",
        "severity": "major",
    },
    "staff_digest": {
        **BASE,
        "ref": "",  # about no one request
        "day": "Mon 23 Nov 2026",
        "count": 1,
        "lead": True,
        "sections": [
            {
                "title": "Nobody's yet",
                "rows": [
                    {
                        "ref": "REQ-1001",
                        "subject": "Checkout <broken>",
                        "client": "acme",
                        "severity": "critical",
                        "status": "in_progress",
                        "owner": "",
                        "due": "OVERDUE since Mon 23 Nov 2026, 11:00 (Europe/London)",
                    }
                ],
            },
            {"title": "Yours", "rows": []},
        ],
    },
    "statement": {
        **BASE,
        "ref": "",
        "client_name": "Acme Ltd",
        "period": "2026-10",
        "period_name": "October 2026",
        "plan_name": "Professional",
        "fee": Decimal("1000.00"),
        "included_hours": Decimal("5"),
        "included_used": Decimal("5"),
        "included_left": Decimal("0"),
        "rows": [
            {
                "ref": "REQ-1001",
                "subject": "CSV <export>",
                "month": "2026-10",
                "type": "feature",
                "why": "5 h from your included hours; 1 h charged as approved",
                "entries": [{"day": "Mon 5 Oct", "hours": Decimal("7"), "note": "<b>export</b>"}],
                "hours": Decimal("7"),
                "covered": Decimal("0"),
                "included": Decimal("5"),
                "charged": Decimal("1"),
                "not_charged": Decimal("1"),
                "amount": Decimal("150.00"),
            }
        ],
        "adjustments": [],
        "lines": [],
        "total": Decimal("1150.00"),
        "preview": False,
        "invoice": {
            "number": "INV-00042",
            "issued_on": "Sun 1 Nov 2026",
            "due_on": "Sun 15 Nov 2026",
            "terms_days": 14,
            "seller": {"name": "Example Agency Ltd", "address": ["1 High St"], "tax_id": None},
            "buyer": {"name": "Acme Ltd", "address": [], "tax_id": "GB123"},
            "net": Decimal("1150.00"),
            "tax_rate": "20",
            "tax": Decimal("230.00"),
            "gross": Decimal("1380.00"),
            "reverse_charge": None,
        },
        "sla": {"responses": 2, "responses_on_time": 2, "resolutions": 1, "resolutions_on_time": 1},
        "open_work": [],
    },
    "staff_billing_summary": {
        **BASE,
        "ref": "",
        "period": "2026-10",
        "rows": [{"client": "acme", "total": "1150.00", "sent_to": "accounts@acme.example"}],
        "sum": "1150.00",
        "unsent": [],
    },
    "staff_relay": {
        **BASE,
        "subject": "S",
        "text": "We are on it.",
        "signed": False,
        "staff_name": "Dana",
        "quote": None,
    },
    "staff_client_reply": {
        **BASE,
        "headline": "Approved",
        "subject": "S",
        "sender": "z@z",
        "outcome": "approved quote v1",
        "owner": "",
        "reason": "",
        "text": "Approved",
    },
}


def test_every_email_folder_has_its_three_parts_and_a_sample_here():
    folders = {p.name for p in (BUNDLED / "email").iterdir() if not p.name.startswith("_")}
    assert folders == set(SAMPLES)
    for name in folders:
        assert {p.name for p in (BUNDLED / "email" / name).iterdir()} == {
            "subject.txt",
            "body.txt",
            "body.html",
        }


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_email_renders_text_and_html_from_one_context(name):
    rendered = render(name, SAMPLES[name])
    assert ("[REQ-1042]" in rendered.subject) == bool(SAMPLES[name]["ref"])
    assert "\n" not in rendered.subject
    assert rendered.text.strip() and "<html" in rendered.html


def test_html_is_escaped_and_text_is_not():
    rendered = render("quote", QUOTE)
    assert "CSV &lt;export&gt;" in rendered.html and "CSV <export>" in rendered.text
    assert "$600.00" in rendered.text and "4 h" in rendered.text


def test_a_missing_value_is_an_error_not_a_blank():
    without_amount = {k: v for k, v in QUOTE.items() if k != "amount"}
    with pytest.raises(jinja2.UndefinedError):
        render("quote", without_amount)


def test_an_agency_overrides_one_template_and_keeps_the_rest(tmp_path: Path):
    folder = tmp_path / "email" / "quote"
    folder.mkdir(parents=True)
    (folder / "subject.txt").write_text("[{{ ref }}] Our offer")
    (folder / "body.txt").write_text("Dear {{ contact_name }}, {{ amount|money }}\n")
    (folder / "body.html").write_text("<html><p>{{ amount|money }}</p></html>")
    rendered = render("quote", QUOTE, tmp_path)
    assert rendered.subject == "[REQ-1042] Our offer" and "Dear Zoe, $600.00" in rendered.text
    assert "Held for triage" in render("staff_held", SAMPLES["staff_held"], tmp_path).subject


def test_composed_mail_carries_the_thread_and_robot_headers():
    now = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
    mid = new_message_id("agency.example", now)
    raw = compose(
        render("quote", QUOTE),
        Envelope(
            "support@agency.example",
            "Example Agency",
            ("zoe@zed.example",),
            reply_to="support+abc@agency.example",
            in_reply_to="zoe-2@zed.example",
            references=("zoe-1@zed.example",),
            ref="REQ-1042",
        ),
        mid,
        now,
    )
    msg = email.message_from_bytes(raw, policy=default)
    assert msg["Message-ID"] == f"<{mid}>" and mid.endswith("@agency.example")
    assert msg["In-Reply-To"] == "<zoe-2@zed.example>"
    assert msg["References"] == "<zoe-1@zed.example> <zoe-2@zed.example>"
    assert (
        msg["Auto-Submitted"] == "auto-replied" and msg["Reply-To"] == "support+abc@agency.example"
    )
    assert msg.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    ("name", "said"), [("No plan", "(Zed, No plan)"), ("Basic", "(Zed, Basic plan)")]
)
def test_a_plan_is_named_once(name: str, said: str) -> None:
    rendered = render("staff_new_request", {**SAMPLES["staff_new_request"], "plan_name": name})
    assert said in rendered.text and said in rendered.html and "plan plan" not in rendered.text


@pytest.mark.parametrize(
    ("language", "said"),
    [("en", "No plan"), ("de", "ohne Paket"), ("fr", "sans formule"), ("nl", "zonder pakket")],
)
def test_no_plan_is_said_in_the_readers_language_as_plans_toml_names_it(language, said) -> None:
    # "No plan" is what the bundled plans.toml calls [plan.none]: a description, translated
    # (a client with no plan reads it on the statement PDF and in the HOURS answer)
    assert plan("No plan", language) == said
    # while a plan's own name stays as the price sheet writes it
    assert "Basic" in plan("Basic", language) and "No plan" not in plan("Basic", language)


def test_a_statement_says_nothing_of_service_when_there_was_none_to_report() -> None:
    quiet = {**SAMPLES["statement"], "sla": dict.fromkeys(SAMPLES["statement"]["sla"], 0)}
    rendered = render("statement", quiet)
    assert "on time" not in rendered.text and "on time" not in rendered.html
    assert "on time" in render("statement", SAMPLES["statement"]).text


def test_the_approval_receipt_thanks_the_approver_without_naming_them_to_themselves() -> None:
    own = render("approved", {**SAMPLES["approved"], "approver": "Zoe", "contact_name": "Zoe"})
    other = render("approved", {**SAMPLES["approved"], "approver": "Bob", "contact_name": "Zoe"})
    assert "Thank you for approving our quote for REQ-1042" in own.text
    assert "Zoe approved" not in own.text and "Zoe approved" not in own.html
    assert "Thank you: Bob approved our quote" in other.text


CLIENT_EMAILS = ("quote", "no_charge", "received", "approved", "declined", "po_needed")


@pytest.mark.parametrize("name", CLIENT_EMAILS)
def test_client_emails_greet_by_first_name_and_never_break_a_sentence(name) -> None:
    text = render(name, {**SAMPLES[name], "contact_name": "Zoe Weber"}).text
    assert text.startswith("Hello Zoe,\n")
    lines = text.splitlines()
    for above, below in itertools.pairwise(lines):
        broken = (
            above.strip()
            and below.strip()
            and not above.startswith(" ")
            and not below.startswith(" ")
            and below[0].islower()
            and above.rstrip()[-1] not in '.:!?")'
        )
        assert not broken, f"{name}: a sentence is cut between {above!r} and {below!r}"


@pytest.mark.parametrize(
    ("name", "called"),
    [
        ("Zoe Weber", "Zoe"),
        ("zoe", "zoe"),
        ("Dr Maria Schmidt", "Dr Maria Schmidt"),
        ("Frau Müller", "Frau Müller"),
        ("  Ana  Lucía Pérez ", "Ana"),
    ],
)
def test_a_greeting_uses_the_first_name_unless_a_title_comes_first(name, called) -> None:
    from intake.outbox.templates import first_name

    assert first_name(name) == called


def test_a_relay_that_ends_with_the_staff_members_name_is_signed_once() -> None:
    own = render(
        "staff_relay", {**SAMPLES["staff_relay"], "text": "On it.\n\nDana", "signed": True}
    )
    assert own.text.rstrip().endswith("--\nExample Agency support")
    assert "Dana, Example Agency" not in own.text and "Dana, Example Agency" not in own.html
    plain = render("staff_relay", SAMPLES["staff_relay"])
    assert plain.text.rstrip().endswith("--\nDana, Example Agency support")

"""Every promise of tests/fixtures/mail/manifest.toml, checked against parse() and the checks."""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from intake.errors import UnparseableMail
from intake.mail.machine import CHECKS, detect_machine
from intake.mail.parsing import InboundMail, parse

FIXTURES = Path(__file__).parent.parent / "fixtures" / "mail"
MANIFEST = FIXTURES / "manifest.toml"
OURS = frozenset({"support@agency.example"})
ENTRIES: list[dict[str, Any]] = (
    tomllib.loads(MANIFEST.read_text(encoding="utf-8"))["mail"] if MANIFEST.exists() else []
)
PARSEABLE = [entry for entry in ENTRIES if entry.get("parseable", True)]


def ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["file"].removesuffix(".eml") for entry in entries]


def read(entry: dict[str, Any]) -> InboundMail:
    return parse_file(entry["file"])


@cache
def parse_file(name: str) -> InboundMail:
    return parse((FIXTURES / name).read_bytes())


@pytest.mark.parametrize(
    "entry",
    [e for e in ENTRIES if not e.get("parseable", True)],
    ids=ids([e for e in ENTRIES if not e.get("parseable", True)]),
)
def test_what_is_not_mail_is_refused(entry: dict[str, Any]) -> None:
    with pytest.raises(UnparseableMail):
        read(entry)


@pytest.mark.parametrize("entry", PARSEABLE, ids=ids(PARSEABLE))
def test_headers_are_read_as_promised(entry: dict[str, Any]) -> None:
    # Given a stored message, When it is parsed, Then its envelope fields are what the manifest says
    mail = read(entry)
    assert mail.from_address == entry["from"]
    assert list(mail.to) == entry.get("to", list(mail.to))
    assert mail.subject == entry["subject"]
    assert mail.message_id == (entry["message_id"] or None)
    assert mail.in_reply_to == ((entry["in_reply_to"],) if entry["in_reply_to"] else ())
    assert list(mail.references) == entry["references"]


@pytest.mark.parametrize("entry", PARSEABLE, ids=ids(PARSEABLE))
def test_text_and_new_text_are_read_as_promised(entry: dict[str, Any]) -> None:
    mail = read(entry)
    assert "\ufffd" not in mail.text
    for wanted in entry["body_contains"]:
        assert wanted in mail.text
    for wanted in entry.get("new_text_contains", []):
        assert wanted in mail.new_text
    for unwanted in entry.get("new_text_excludes", []):
        assert unwanted not in mail.new_text


@pytest.mark.parametrize("entry", PARSEABLE, ids=ids(PARSEABLE))
def test_attachments_are_read_as_promised(entry: dict[str, Any]) -> None:
    mail = read(entry)
    assert [attachment.filename for attachment in mail.attachments] == entry["attachments"]
    for attachment in mail.attachments:
        assert attachment.payload is None or len(attachment.payload) == attachment.size


@pytest.mark.parametrize("entry", PARSEABLE, ids=ids(PARSEABLE))
def test_machines_are_recognised_as_promised(entry: dict[str, Any]) -> None:
    # Given a stored message, When machine checks run, Then a machine gets the promised verdict
    mail = read(entry)
    verdict = detect_machine(mail, OURS)
    assert (verdict is not None) is entry["machine"]
    assert (verdict.check if verdict else "") == entry["machine_check"]
    fired = {name for name, check in CHECKS if check(mail, OURS) is not None}
    assert set(entry.get("machine_signals", [])) <= fired


@pytest.mark.parametrize("entry", PARSEABLE, ids=ids(PARSEABLE))
def test_bounces_name_the_message_that_bounced(entry: dict[str, Any]) -> None:
    report = read(entry).delivery_report
    bounced = report.original_message_id if report else None
    assert bounced == (entry["bounced_message_id"] or None)

"""Client emails in the client's language: every message the templates and the code give a
client is translated in each catalogue, a translated email leaves no English sentence
behind, and money and dates are written as the reader's language writes them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from intake.approvals.replies import Meaning, load_reply_phrases, read_reply
from intake.clients.service import LANGUAGES
from intake.outbox.language import LOCALE_DIR, SOURCE, catalogue, translations
from intake.outbox.templates import day, money, render, when
from tests.outbox.test_templates import SAMPLES

ROOT = Path(__file__).resolve().parents[2]
TRANSLATED = [language for language in LANGUAGES if language != SOURCE]


def extracted() -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    """What `pybabel extract -F babel.cfg` finds now, by (context and) msgid."""
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str | tuple[str, str], str | tuple[str, ...]] = {}
    # Every folder, "_base" too (Babel skips folders starting with "_" unless told).
    for _, _, message, _, context in extract_from_dir(
        ROOT,
        method_map,
        options_map,
        directory_filter=lambda path: not Path(path).name.startswith("."),
    ):
        msgid = message if isinstance(message, str) else tuple(message)
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        found[(context, key) if context else key] = msgid
    return found


def read(path: Path) -> Catalog:
    with path.open("rb") as po:
        return read_po(po)


def keyed(messages: Catalog) -> dict[str | tuple[str, str], object]:
    return {
        ((m.context, m.id if isinstance(m.id, str) else m.id[0]) if m.context else
         (m.id if isinstance(m.id, str) else m.id[0])): m
        for m in messages
        if m.id
    }  # fmt: skip


@pytest.fixture(scope="module")
def source() -> dict[str | tuple[str, str], str | tuple[str, ...]]:
    return extracted()


def test_there_is_a_catalogue_for_every_language_a_client_may_have() -> None:
    assert sorted(p.name for p in LOCALE_DIR.iterdir() if p.is_dir()) == sorted(TRANSLATED)
    assert all(catalogue(language).is_file() for language in TRANSLATED)
    assert not list(LOCALE_DIR.rglob("*.mo")), "the .po is read as it is: no .mo is shipped"


def test_the_template_catalogue_holds_what_the_templates_and_code_say_now(source) -> None:
    # When a string is added, changed or dropped, `pybabel extract` (README) refreshes it
    assert set(keyed(read(LOCALE_DIR / "intake.pot"))) == set(source)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_message_is_translated_and_confirmed(source, language: str) -> None:
    # Given what the templates and the code say to clients, and the language's catalogue
    messages = read(catalogue(language))
    found = keyed(messages)
    # Then every message is in it (and nothing the code no longer says)
    assert sorted(map(str, set(source) - set(found))) == [], "untranslated"
    assert sorted(map(str, set(found) - set(source))) == [], "stale: `pybabel update` drops them"
    for key, message in found.items():
        # translated, confirmed by a person (a fuzzy guess is not used), plural forms all there
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(s.strip() for s in strings), f"{language}: empty translation of {key!r}"
        assert "fuzzy" not in message.flags, f"{language}: fuzzy translation of {key!r}"
        if message.pluralizable:
            assert len(strings) == messages.num_plurals, f"{language}: plural forms of {key!r}"
    # And each keeps the placeholders it is given (Babel's own checks)
    assert [(m.id, [str(e) for e in errors]) for m, errors in messages.check()] == []


# -- what a client reads ---------------------------------------------------------------------


def _samples() -> list[tuple[str, dict]]:
    """Each client email with every branch its template has."""
    quote, statement, status = SAMPLES["quote"], SAMPLES["statement"], SAMPLES["client_status"]
    invoice = statement["invoice"]
    work = {"ref": "REQ-1", "subject": "S", "status": "in progress", "state": "in_progress"}
    relay_quote = {
        "revised": True,
        "hours": Decimal(2),
        "amount": Decimal("300.00"),
        "complete_by": "Wed 4 Nov 2026",
        "needs_approval": True,
        "requires_po": True,
        "sow_number": "SOW-00002",
    }
    return [
        ("quote", quote),
        ("quote", {**quote, "requires_po": False, "included_hours": Decimal(2), "plan_name": "P"}),
        ("no_charge", quote),
        ("no_charge", {**quote, "sow_number": "SOW-00001"}),
        ("received", SAMPLES["received"]),
        ("approved", SAMPLES["approved"]),
        ("approved", {**SAMPLES["approved"], "approver": "Zoe", "po": ""}),
        ("declined", SAMPLES["declined"]),
        ("po_needed", SAMPLES["po_needed"]),
        ("client_status", SAMPLES["client_status"]),
        ("client_status", {**status, "rows": status["rows"] * 2}),
        ("client_status", {**SAMPLES["client_status"], "rows": []}),
        ("client_hours", {**SAMPLES["client_hours"],
                          "open_work": [{**work, "amount": Decimal(10)}, {**work, "amount": 0}]}),
        ("client_statement", SAMPLES["client_statement"]),
        ("client_statement", {**SAMPLES["client_statement"], "problem": "none"}),
        ("statement", statement),
        ("statement", {**statement, "preview": True, "fee": None, "included_hours": 0,
                       "rows": [], "adjustments": statement["rows"],
                       "open_work": [{**work, "amount": Decimal(10)}, {**work, "amount": 0}],
                       "invoice": {**invoice, "reverse_charge": "(note)", "tax_rate": None}}),
        ("statement", {**statement, "invoice": {**invoice, "number": None}}),
        ("advice", SAMPLES["advice"]),
        ("advice", {**SAMPLES["advice"], "has_plan": True, "plan_name": "Premium"}),
        ("introduction", SAMPLES["introduction"]),
        ("staff_relay", {**SAMPLES["staff_relay"], "quote": relay_quote}),
        ("staff_relay", {**SAMPLES["staff_relay"], "signed": True, "quote": {
            **relay_quote, "revised": False, "needs_approval": False}}),
        ("staff_relay", {**SAMPLES["staff_relay"], "quote": {**relay_quote, "requires_po": False,
                                                             "sow_number": None}}),
    ]  # fmt: skip


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def sentences(rendered, values: set[str]) -> set[str]:
    """The sentences of an email (subject, text and the HTML's text) that say something of
    the template's own: not a value of the context alone ("Zed GmbH", "REQ-1042")."""
    html = _Text()
    html.feed(rendered.html)
    # The HTML's text is read per element, as the block elements of a mail program show it.
    found = set()
    for chunk in [rendered.subject, *rendered.text.splitlines(), *html.parts]:
        for sentence in re.split(r"(?<=[.!?])\s+", chunk.strip()):
            words = sentence
            for value in sorted(values, key=len, reverse=True):
                words = words.replace(value, " ")
            if len(re.findall(r"[^\W\d_]{2,}", words)) >= 2:
                found.add(sentence.strip())
    return found


def _values(context: object) -> set[str]:
    if isinstance(context, dict):
        return {v for value in context.values() for v in _values(value)}
    if isinstance(context, list | tuple):
        return {v for value in context for v in _values(value)}
    return {str(context)} if isinstance(context, str) and context else set()


@pytest.mark.parametrize("language", TRANSLATED)
@pytest.mark.parametrize(
    ("name", "context"), _samples(), ids=lambda v: v if isinstance(v, str) else ""
)
def test_a_client_email_in_another_language_leaves_no_english_sentence(
    name: str, context: dict, language: str
) -> None:
    # Given a client email as English readers get it
    english = render(name, context)
    # When it is rendered for a reader of another language
    translated = render(name, context, language=language)
    # Then no sentence of the English one is left in it (values such as names, subjects and
    # what the caller already wrote in the reader's language aside)
    values = _values(context) | {"Example Agency", "support@agency.example"}
    left = sentences(english, values) & sentences(translated, values)
    assert left == set(), f"{name} in {language}: English left"
    # And it keeps the reference, the amounts and the commands a client types
    if context.get("ref"):
        assert f"[{context['ref']}]" in translated.subject
        assert context["ref"] in translated.text and context["ref"] in translated.html
    for amount in re.findall(r"\$[\d,]+\.\d\d", english.text):
        figure = money(Decimal(amount[1:].replace(",", "")), "USD", language)
        assert figure in translated.text, f"{name} in {language}: {amount} as {figure}"
    if "STATEMENT 2026-10" in english.text:
        assert "STATUS" in translated.text and "STATEMENT 2026-10" in translated.text
    assert f'<html lang="{language}">' in translated.html


def test_english_readers_get_the_emails_they_always_had() -> None:
    # The existing tests hold every English email to its words; here the new parts do nothing
    for name, context in _samples():
        assert render(name, context) == render(name, context, language=SOURCE)
    assert render("quote", SAMPLES["quote"]).text.startswith("Hello Zoe,\n")


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_words_a_translated_email_asks_clients_to_reply_with_are_understood(
    language: str,
) -> None:
    # Given the reply words the quote email tells a reader of the language to write back
    words = translations(language)
    approve = words.gettext('To approve, reply to this email with "approved".')
    decline = words.gettext('To decline, reply "decline".')
    example = words.gettext(
        'Please reply with "approved" and the number, for example "approved, PO 4471".'
    )
    quoted = re.compile(r"[„“«\"”‘]\s*([^„“«»\"”‘’]+?)\s*[“»\"”’]")
    [yes], [no] = quoted.findall(approve), quoted.findall(decline)
    with_po = quoted.findall(example)[-1]
    # When a client writes back just that
    phrases = load_reply_phrases(ROOT / "config" / "rules.toml")
    # Then intake reads it as they were told it would be
    assert read_reply(yes, phrases).meaning is Meaning.APPROVE, yes
    assert read_reply(no, phrases).meaning is Meaning.DECLINE, no
    reading = read_reply(with_po, phrases)
    assert (reading.meaning, reading.po) == (Meaning.APPROVE, "4471"), with_po


def test_money_and_dates_are_written_as_the_readers_language_writes_them() -> None:
    assert money(Decimal("1150"), "USD", "de") == "1.150,00\xa0$"
    assert money(Decimal("1150"), "USD") == "$1,150.00"
    assert money(Decimal("1150.5"), "EUR", "fr") == "1\u202f150,50\xa0€"
    assert day(date(2026, 12, 8)) == "Tue 8 Dec 2026"
    assert day(date(2026, 12, 8), "de") == "Dienstag, 8. Dezember 2026"
    assert day(date(2026, 12, 8), "es") == "martes, 8 de diciembre de 2026"
    moment = datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    assert when(moment, "Europe/Berlin") == "Tue 8 Dec 2026, 09:00 (Europe/Berlin)"
    assert when(moment, "Europe/Berlin", "de") == (
        "Dienstag, 8. Dezember 2026, 09:00 Uhr (Europe/Berlin)"
    )
    assert when(moment, "Europe/Paris", "fr") == "mardi 8 décembre 2026 à 09:00 (Europe/Paris)"


def test_the_amounts_stay_exact_to_the_cent_in_any_language() -> None:
    # Formatting is the last step: the figure is the Decimal's, never a float's
    assert money(Decimal("0.10") + Decimal("0.20"), "USD", "nl") == "US$\xa00,30"
    assert money("1234567.89", "EUR", "de") == "1.234.567,89\xa0€"

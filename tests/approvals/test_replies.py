"""Reading a client's reply to a quote: plain yes, plain no, and everything that goes to staff."""

from __future__ import annotations

from pathlib import Path

import pytest

from intake.approvals.replies import (
    COURTESY,
    Meaning,
    ReplyPhrases,
    find_po,
    load_reply_phrases,
    read_reply,
)
from intake.errors import ConfigError

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "rules.toml"


@pytest.fixture(scope="module")
def phrases() -> ReplyPhrases:
    return load_reply_phrases(CONFIG)


@pytest.mark.parametrize(
    "text",
    [
        "Approved.",
        "approved",
        "Yes, go ahead!",
        "Yes please",
        "OK to proceed",
        "Please proceed.",
        "ok, please proceed. PO 7781",
        "Approved - PO#7781",
        "Approved, please go ahead.",
        "Go ahead, thanks!",
        "We approve this quote.",
        "I approve",
        "Hi Dana,\n\nApproved. Thanks,\nZoe",
        "Hi Dana, approved, thanks Zoe Becker",
        "Approved\n\nZoe Becker",
        "Approved for REQ-1002",
        "Sounds good, go ahead",
        "Yes, we'd like to go ahead with this",
        "Genehmigt",
        "Ja, bitte. Danke!",
        "D’accord, merci",
        "APPROVED",
    ],
)
def test_plain_approvals_approve(text: str, phrases: ReplyPhrases) -> None:
    reading = read_reply(text, phrases, sender_names=("Zoe Becker",), ref="REQ-1002")
    assert reading.meaning is Meaning.APPROVE


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("Approved\n\nZoe Becker", ("Zoe Becker", "", "zoe@zed.example")),
        ("Approved\n\nZoe", ("", "", "zoe.becker@zed.example")),
        ("Yes, go ahead\nBecker", ("Becker, Zoe",)),
        ("Zoe Becker\nApproved.", ("Zoe Becker",)),
    ],
)
def test_the_sender_s_own_name_on_a_line_of_its_own_is_a_signature(
    text: str, names: tuple[str, ...], phrases: ReplyPhrases
) -> None:
    assert read_reply(text, phrases, sender_names=names).meaning is Meaning.APPROVE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        # A line of capitalised words that are not the sender's name says something.
        ("Approved, PO 4471\nTBC", 'approval that also says more ("TBC")'),
        ("Approved\nPending Board Review", 'says more ("Pending Board Review")'),
        ("Yes\nNext Year", 'says more ("Next Year")'),
        ("Approved\n\nZoe Becker", 'says more ("Zoe Becker")'),  # not the sender: Alice
        ("Approved. Thanks,\nTBC", 'says more ("TBC")'),
        ("Approved, thanks Alice\nTBC", 'says more ("TBC")'),
        # A reply in this request's thread that names another request is not about this one.
        ("Approved for REQ-1003, PO 4471", "names REQ-1003, not REQ-1002"),
        ("Approved REQ-1002 and REQ-1004", "names REQ-1004, not REQ-1002"),
    ],
)
def test_what_is_not_the_sender_s_name_or_this_request_goes_to_staff(
    text: str, reason: str, phrases: ReplyPhrases
) -> None:
    reading = read_reply(text, phrases, sender_names=("Alice Smith",), ref="REQ-1002")
    assert reading.meaning is Meaning.UNCLEAR
    assert reason in reading.reason


@pytest.mark.parametrize(
    "text",
    [
        "Decline",
        "No thanks",
        "No, thank you.",
        "Not now.",
        "Please cancel.",
        "not approved",
        "Don't proceed",
        "Do not proceed, thanks",
        "No, don't go ahead.",
        "We've decided not to go ahead with this.",
        "We'll pass on this one",
        "No.",
        "Abgelehnt",
        "Nein danke",
    ],
)
def test_plain_declines_decline(text: str, phrases: ReplyPhrases) -> None:
    assert read_reply(text, phrases).meaning is Meaning.DECLINE


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty reply"),
        ("  \n\n ", "empty reply"),
        ("Thanks", "no approval or decline found"),
        ("OK", "no approval or decline found"),
        ("Sounds good", "no approval or decline found"),
        ("Approved, can you start Monday?", "approval that also asks a question"),
        ("Go ahead. When will it be done?", 'asks a question ("When will it be done?")'),
        ("Approved, but could you also add a logo", "approval that also changes the scope"),
        ("Yes, go ahead instead with the blue version", "changes the scope"),
        ("Approved only if it's done by Friday", "changes the scope"),
        ("Approved. Please add the PDF export too.", "changes the scope"),
        ("I approved the design last week but the login is still broken", "changes the scope"),
        ("I approved the design last week and the login is still broken", "says more"),
        ("I approved the design", "says more"),
        ("Approved. The login is still broken.", 'says more ("The login is still broken")'),
        ("Go ahead, no, cancel", "both approves and declines"),
        ("No problem, go ahead", 'ambiguous "No problem"'),
        ("No problem", "ambiguous"),
        ("I do not approve", 'negated approval ("I do not approve")'),
        ("We can't go ahead with this right now", "negated approval"),
        ("Yes. We cannot go ahead until next month", "changes the scope"),
        ("Yes for the first part, I don't approve the rest", "negates an approval"),
        ("No thanks, but could you quote a smaller version?", "decline that also asks"),
        ("Cancel the old one and go ahead with this", "both approves and declines"),
        ("Not now, maybe in January", "decline that also says more"),
        ("Pre-approved by finance", "no approval or decline found"),
    ],
)
def test_unclear_replies_go_to_staff_with_the_reason(
    text: str, reason: str, phrases: ReplyPhrases
) -> None:
    reading = read_reply(text, phrases)
    assert reading.meaning is Meaning.UNCLEAR
    assert reason in reading.reason


def test_an_approval_names_its_phrase_and_po(phrases: ReplyPhrases) -> None:
    reading = read_reply("ok, please proceed. PO 7781", phrases)
    assert reading.po == "7781"
    assert reading.reason == 'approved ("please proceed"), PO 7781'


def test_a_question_is_quoted_for_staff(phrases: ReplyPhrases) -> None:
    reading = read_reply("Approved.\nCan you start Monday?", phrases)
    assert reading.reason == 'approval that also asks a question ("Can you start Monday?")'


def test_a_long_sentence_is_shortened_in_the_reason(phrases: ReplyPhrases) -> None:
    reading = read_reply("Approved. " + "The login page is broken again " * 5, phrases)
    assert reading.reason.endswith('…")')
    assert len(reading.reason) < 100


def test_the_po_is_kept_even_when_the_reply_is_unclear(phrases: ReplyPhrases) -> None:
    reading = read_reply("Approved, PO 7781 - can you start Monday?", phrases)
    assert (reading.meaning, reading.po) == (Meaning.UNCLEAR, "7781")


@pytest.mark.parametrize(
    ("text", "po"),
    [
        ("PO 7781", "7781"),
        ("PO#7781", "7781"),
        ("po: 7781.", "7781"),
        ("P.O. 7781", "7781"),
        ("PO number 7781", "7781"),
        ("PO no. 7781", "7781"),
        ("our PO is 7781", "7781"),
        ("PO-4471", "4471"),
        ("PO4471", "4471"),
        ("purchase order 7781", "7781"),
        ("Purchase Order Number: 2026/0042", "2026/0042"),
        ("PO A-7781, thanks", "A-7781"),
        ("PO ab12", "ab12"),
        ("PO 7781-cancel", "7781"),
        ("approved, PO 111 and PO 222", "111"),
        ("PO box", None),
        ("PO to follow", None),
        ("PO box 12", None),
        ("the repo 42", None),
        ("Pool 7", None),
        ("order 7781", None),
        ("", None),
        (f"PO {'1' * 64}", "1" * 64),
        (f"PO {'1' * 65}", None),
    ],
)
def test_find_po_keeps_the_number_as_written_without_its_label(text: str, po: str | None) -> None:
    assert find_po(text) == po


def test_the_config_file_loads_lowercase_phrases(phrases: ReplyPhrases) -> None:
    assert "approved" in phrases.approve
    assert "no thanks" in phrases.decline
    assert "but" in phrases.scope_change
    assert all(p == p.lower() for p in phrases.approve + phrases.decline + phrases.courtesy)


def _rules(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(body, encoding="utf-8")
    return path


def test_courtesy_is_optional(tmp_path: Path) -> None:
    path = _rules(
        tmp_path, '[approval]\napprove = ["Yes"]\ndecline = ["no"]\nscope_change = ["but"]\n'
    )
    assert load_reply_phrases(path) == ReplyPhrases(("yes",), ("no",), ("but",), COURTESY)


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ("[estimate.bug]\nminor = '1'\n", "[approval] table missing"),
        ('[approval]\ndecline = ["no"]\nscope_change = ["but"]\n', "approval.approve"),
        ('[approval]\napprove = []\ndecline = ["no"]\nscope_change = ["but"]\n', "approve"),
        ('[approval]\napprove = "yes"\ndecline = ["no"]\nscope_change = ["x"]\n', "approve"),
        ('[approval]\napprove = ["yes"]\ndecline = [""]\nscope_change = ["x"]\n', "decline"),
        ('[approval]\napprove = ["yes"]\ndecline = ["no"]\nscope_change = [1]\n', "scope_change"),
        (
            '[approval]\napprove = ["y"]\ndecline = ["n"]\nscope_change = ["b"]\ncourtesy = 3\n',
            "approval.courtesy",
        ),
        (
            '[approval]\napprove = ["y"]\ndecline = ["n"]\nscope_change = ["b"]\naprove = []\n',
            "approval.aprove: unknown setting",
        ),
        ("[approval\n", "is not valid TOML"),
    ],
)
def test_a_bad_table_is_one_error_naming_rules_file_and_the_key(
    tmp_path: Path, body: str, key: str
) -> None:
    with pytest.raises(ConfigError) as error:
        load_reply_phrases(_rules(tmp_path, body))
    assert str(error.value).startswith("rules_file: ")
    assert key in str(error.value)


def test_a_missing_file_names_rules_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"^rules_file: .*not found"):
        load_reply_phrases(tmp_path / "nowhere.toml")


@pytest.mark.parametrize(
    "text",
    [
        "Will approve tomorrow",
        "Manager will approve",
        "I'll approve Monday",
        "Approve later",
        "Yes, checking internally",
        "Yes, received",
        "Confirmed receipt",
        "Accepted for review",
        "Hold on, approved",
        "Will approve tomorrow, PO 7781",
        "We have to approve",
    ],
)
def test_a_yes_that_is_not_yet_or_about_something_else_goes_to_staff(
    text: str, phrases: ReplyPhrases
) -> None:
    # Given replies that use an approval word without approving now, when they are read,
    # then none is an approval: staff decide
    assert read_reply(text, phrases).meaning is Meaning.UNCLEAR


@pytest.mark.parametrize(
    ("text", "meaning"),
    [
        # Up to three capitalised words after thanks are taken for a name; a fourth is not
        ("Approved, thanks Zoe Anne Becker", Meaning.APPROVE),
        ("Approved, thanks Pending Board Review Tomorrow", Meaning.UNCLEAR),
        ("Approved, thanks Zoe Anne Marie Becker", Meaning.UNCLEAR),
        # The same limit for the sender's name alone on the last line
        ("Approved\nAlice Smith", Meaning.APPROVE),
        ("Approved\nAlice Mary Jane Smith", Meaning.UNCLEAR),
        ("Approved\nAlice Mary Smith", Meaning.APPROVE),
    ],
)
def test_a_name_after_thanks_is_three_words_at_most(
    text: str, meaning: Meaning, phrases: ReplyPhrases
) -> None:
    reading = read_reply(text, phrases, sender_names=("Alice Mary Jane Smith",))
    assert reading.meaning is meaning


SIXTY = "Approved, but only the first part of the export for the team"  # 60 characters


@pytest.mark.parametrize(
    ("text", "meaning", "reason"),
    [
        # The reason quotes the sentence that decided, as staff read it in the notice
        (
            "Approved. But can you start Monday? Thanks",
            Meaning.UNCLEAR,
            'approval that also asks a question ("But can you start Monday?")',
        ),
        (
            "Looks good. Is the hosting included? Approved otherwise.",
            Meaning.UNCLEAR,
            'approval that also asks a question ("Is the hosting included?")',
        ),
        ("approved?", Meaning.UNCLEAR, 'approval that also asks a question ("approved?")'),
        (
            "Approved. Is it hosted? And when?",
            Meaning.UNCLEAR,
            'approval that also asks a question ("Is it hosted?")',
        ),
        ("Approved? Sure!", Meaning.UNCLEAR, 'approval that also asks a question ("Approved?")'),
        (
            "Hi, we decline. Too expensive for now.",
            Meaning.UNCLEAR,
            'decline that also says more ("Too expensive for now")',
        ),
        ("Declined", Meaning.DECLINE, 'declined ("Declined")'),
        ("approved! po: A-7781", Meaning.APPROVE, 'approved ("approved"), PO A-7781'),
        (
            "Not approved. Go ahead next year maybe",
            Meaning.UNCLEAR,
            'both approves and declines ("Go ahead", "Not approved")',
        ),
        # Up to 60 characters are quoted whole, a longer sentence is cut with an ellipsis
        (SIXTY, Meaning.UNCLEAR, f'approval that also changes the scope ("{SIXTY}")'),
        (
            SIXTY + "s",
            Meaning.UNCLEAR,
            f'approval that also changes the scope ("{SIXTY[:59]}…")',
        ),
    ],
)
def test_the_reason_quotes_the_sentence_that_decided(
    text: str, meaning: Meaning, reason: str, phrases: ReplyPhrases
) -> None:
    reading = read_reply(text, phrases, sender_names=("Alice Smith",), ref="REQ-1002")
    assert (reading.meaning, reading.reason) == (meaning, reason)


def test_only_the_part_of_an_address_before_the_at_sign_names_the_sender(
    phrases: ReplyPhrases,
) -> None:
    # alice.smith@acme.example is called Alice or Smith, never Acme
    names = ("alice.smith@acme.example",)
    assert read_reply("Approved\nSmith", phrases, sender_names=names).meaning is Meaning.APPROVE
    assert read_reply("Approved\nAcme", phrases, sender_names=names).meaning is Meaning.UNCLEAR

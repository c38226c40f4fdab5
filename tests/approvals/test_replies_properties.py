"""Properties of reading replies: nothing uncertain is ever taken as an approval."""

from __future__ import annotations

from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from intake.approvals.replies import (
    FILLER,
    NAME_AFTER,
    Meaning,
    ReplyReading,
    load_reply_phrases,
    read_reply,
)
from tests.drawn import examples

PHRASES = load_reply_phrases(Path(__file__).resolve().parents[2] / "config" / "rules.toml")

text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=80)
# Words and punctuation a reply is made of, so generated replies often read like real ones.
vocabulary = st.sampled_from(
    [
        *PHRASES.approve,
        *PHRASES.courtesy,
        "PO 7781",
        "PO#7781",
        "Zoe",
        "Dana",
        "the",
        "login",
        "design",
        "today",
        "REQ-1002",
    ]
)
separator = st.sampled_from([" ", ", ", ". ", "! ", "\n", " - ", "\n\n"])
replyish = st.lists(st.tuples(vocabulary, separator), max_size=8).map(
    lambda parts: "".join(word + sep for word, sep in parts)
)
approval = st.sampled_from(
    [
        "Approved.",
        "Yes, go ahead!",
        "ok, please proceed. PO 7781",
        "Approved - PO#7781",
        "Hi Dana, approved. Thanks, Zoe",
        "Please proceed",
        "Genehmigt",
    ]
)
anything = st.one_of(text, replyish, approval)


@examples(300)
@given(anything, anything)
def test_a_question_is_never_an_approval(before: str, after: str) -> None:
    assert read_reply(f"{before}?{after}", PHRASES).meaning is not Meaning.APPROVE


@examples(300)
@given(anything, st.sampled_from(PHRASES.decline), separator, separator, anything)
def test_a_decline_phrase_is_never_an_approval(
    before: str, phrase: str, open_: str, close: str, after: str
) -> None:
    reply = f"{before}{open_}{phrase}{close}{after}"
    assert read_reply(reply, PHRASES).meaning is not Meaning.APPROVE


@examples(300)
@given(
    st.one_of(approval, replyish),
    st.sampled_from(PHRASES.scope_change),
    separator,
    st.booleans(),
)
def test_a_scope_change_never_keeps_an_approval(
    reply: str, word: str, sep: str, in_front: bool
) -> None:
    changed = f"{word}{sep}{reply}" if in_front else f"{reply}{sep}{word}"
    assert read_reply(changed, PHRASES).meaning is not Meaning.APPROVE


@given(approval)
def test_the_sample_approvals_do_approve(reply: str) -> None:
    assert read_reply(reply, PHRASES).meaning is Meaning.APPROVE


@examples(500)
@given(anything)
def test_read_reply_never_raises(reply: str) -> None:
    reading = read_reply(reply, PHRASES)
    assert isinstance(reading, ReplyReading)
    assert reading.reason


# Words that make a yes something else: not yet, not this, not us.
NOT_YET = st.sampled_from(
    [
        "tomorrow",
        "later",
        "Monday",
        "soon",
        "internally",
        "checking",
        "received",
        "receipt",
        "review",
        "manager",
        "will",
        "I'll",
        "pending",
        "hold",
        "maybe",
        "probably",
    ]
)


@examples(300, deadline=None)
@given(phrase=st.sampled_from(PHRASES.approve), word=NOT_YET, before=st.booleans())
def test_a_yes_with_a_word_of_delay_or_doubt_is_never_an_approval(phrase, word, before):
    # Given an approval phrase next to a word that puts it off or makes it about something
    # else ("will approve tomorrow", "yes, received", "accepted for review")
    reply = f"{word} {phrase}" if before else f"{phrase}, {word}"
    # When it is read, then it is not taken as an approval
    assert read_reply(reply, PHRASES).meaning is not Meaning.APPROVE


capitalised_words = st.lists(
    st.text(st.characters(min_codepoint=97, max_codepoint=122), min_size=2, max_size=10).map(
        str.capitalize
    ),
    min_size=1,
    max_size=3,
)


@given(approval, capitalised_words)
def test_a_last_line_that_is_not_the_sender_s_name_never_keeps_an_approval(
    reply: str, words: list[str]
) -> None:
    # Words intake has as the sender's name are a signature; any other line says something
    # ("Pending Board Review", "TBC"), unless every word of it is a reply phrase or courtesy.
    line = " ".join(words)
    said = read_reply(f"{reply}\n{line}", PHRASES, sender_names=("Zoe Weber",))
    reads_as_words = (
        read_reply(line, PHRASES).meaning is not Meaning.UNCLEAR
        or all(w.lower() in {*PHRASES.approve, *PHRASES.courtesy, "zoe", "weber"} for w in words)
        or words[0].lower() in NAME_AFTER  # "Thanks Zoe": a name after a greeting, by design
    )
    if not reads_as_words and said.meaning is Meaning.APPROVE:
        # Only filler words ("The", "It") may follow a yes without saying more.
        assert all(w.lower() in FILLER for w in words), said

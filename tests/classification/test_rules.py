"""The classifier's rules: signals, negation, subject weight, confidence, the flag, bad files."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from intake.classification import (
    classify,
    example_toml,
    labelled_example,
    load_examples,
    load_rules,
)
from intake.classification.rules import Axis, Rules
from intake.errors import ConfigError, InvalidInput
from tests.drawn import examples

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "config" / "rules.toml"
DATA = ROOT / "tests" / "data" / "labelled" / "house.toml"

# A small rules file, so these tests pin the mechanics, not the tuning of config/rules.toml.
SMALL = """
[classify]
subject_weight = 2.0
evidence = 2.0
low_confidence = 0.45
negation_window = 1
negation_words = ["not", "no", "nothing"]
strip = ['^>.*$', '(?s)^--\\s*$.*']
default_type = "question"
default_type_score = 0.5
default_severity = "minor"
default_severity_score = 1.5

[type.security.phrases]
"vulnerability" = 4
[type.bug.phrases]
"down" = 3
"not working" = 3
[type.bug.regex]
'error\\s*5\\d\\d' = 3
[type.feature.phrases]
"could you add" = 4
[type.question.phrases]
"how do i" = 4

[severity.minor.phrases]
"typo" = 3
[severity.minor.after_type]
feature = 3
[severity.major.phrases]
"urgent" = 1
[severity.critical.phrases]
"down" = 3
"data loss" = 5
"all users" = 4
"workaround" = -2
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "rules.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def rules(tmp_path: Path) -> Rules:
    return load_rules(write(tmp_path, SMALL))


# -- signals ----------------------------------------------------------------------------


def test_the_issue_signals_decide_with_the_shipped_rules():
    shipped = load_rules(CONFIG)
    cases = [
        ("URGENT: site down", "", "bug", "critical"),
        ("Checkout", "Stripe returns error 500 for all users.", "bug", "critical"),
        ("Import", "The import wiped the table, data loss for every client.", "bug", "critical"),
        ("Plugin", "Our scanner found a vulnerability in the forms plugin.", "security", None),
        ("Reports", "How do I export last month's orders?", "question", "minor"),
        ("Idea", "Could you add a wishlist to the shop?", "feature", "minor"),
        # Keeping WordPress and its plugins up to date is security work, not a feature
        (
            "Please update WordPress",
            "Please update WordPress to the latest version.",
            "security",
            None,
        ),
        ("Plugins", "Please update WordPress plugins", "security", None),
    ]
    for subject, text, kind, severity in cases:
        result = classify(subject, text, shipped)
        assert result.type.value == kind, (subject, result)
        if severity:
            assert result.severity.value == severity, (subject, result)


def test_phrases_match_whole_words_in_any_case(rules):
    assert classify("", "The site is DOWN", rules).type.value == "bug"
    for text in ("can I download the report?", "planned downtime", "lowdown"):
        assert classify("", text, rules).type.value == "question"
    # A hyphen joins words: a drop-down menu is not a site that is down
    assert classify("", "add a link to the drop-down menu", rules).type.value == "question"


def test_regexes_match_variants(rules):
    for text in ("Error 500 on save", "got error502", "ERROR  503 again"):
        decision = classify("", text, rules).type
        assert decision.value == "bug"
        assert "text /error\\s*5\\d\\d/ (+3.0)" in decision.rules


def test_a_loud_subject_does_not_make_a_typo_critical(rules):
    result = classify("URGENT!!!", "There is a typo on the about page.", rules)
    assert result.severity.value == "minor"


def test_negative_weights_count_against_a_label(rules):
    plain = classify("", "The site is down", rules).severity
    softened = classify("", "The site is down, we have a workaround", rules).severity
    assert plain.value == "critical"
    assert softened.value == "minor"


# -- negation ---------------------------------------------------------------------------


def test_negated_signals_are_ignored(rules):
    assert classify("", "Not urgent: the search is not working", rules).severity.value == "minor"
    assert classify("", "A glitch, but no data loss", rules).severity.value == "minor"
    assert classify("", "There was no real data loss", rules).severity.value == "minor"


def test_negation_stops_at_the_clause_and_the_window(rules):
    # "not" belongs to another clause, or is too far before the signal.
    assert classify("", "Not sure why, but the site is down", rules).type.value == "bug"
    assert classify("", "No idea what changed but everything is down", rules).type.value == "bug"


def test_the_window_is_the_words_right_before_the_signal(rules):
    # negation_window = 1: "no" one word before "data loss" negates it, two words before not
    assert classify("", "There was no real data loss", rules).severity.value == "minor"
    assert classify("", "There was no real big data loss", rules).severity.value == "critical"


def test_curly_apostrophes_read_as_straight_ones():
    shipped = load_rules(CONFIG)
    for text in ("The export doesn\u2019t work", "The export doesn\u2018t work"):
        assert classify("", text, shipped) == classify("", "The export doesn't work", shipped)
    assert classify("", "The export doesn't work", shipped).type.value == "bug"


def test_a_pattern_that_starts_with_a_negation_word_still_matches(rules):
    decision = classify("", "The contact form is not working", rules).type
    assert decision.value == "bug"
    assert 'text "not working" (+3.0)' in decision.rules


# -- subject weight, defaults, ties, after_type, stripping -------------------------------


def test_a_subject_match_counts_subject_weight_times(rules):
    decision = classify("Site down", "", rules).type
    assert decision.rules == ('subject "down" (+6.0)',)
    both = classify("Site down", "yes, down", rules).type
    assert both.rules == ('subject "down" (+6.0)', 'text "down" (+3.0)')


def test_the_subject_outweighs_a_body_signal_of_the_same_weight(rules):
    # "down" (3) in the subject beats "how do I" (4) in the text: 6 > 4 + default 0.5.
    assert classify("down", "how do I get it back?", rules).type.value == "bug"
    assert classify("how do I ...", "it is down", rules).type.value == "question"


def test_nothing_matched_falls_back_to_the_defaults_and_says_so(rules):
    result = classify("Hello", "Please get back to me.", rules)
    assert (result.type.value, result.severity.value) == ("question", "minor")
    assert result.type.rules == ("default question (+0.5)",)
    assert result.low_confidence


def test_ties_go_to_the_label_listed_first(tmp_path):
    text = SMALL.replace('"could you add" = 4', '"could you add" = 4\n"tie" = 3')
    text = text.replace('"down" = 3\n"not working"', '"tie" = 3\n"down" = 3\n"not working"')
    tied = load_rules(write(tmp_path, text))
    assert classify("", "tie", tied).type.value == "bug"  # [type.bug] comes before feature


def test_severity_leans_on_the_type(rules):
    decision = classify("", "Could you add a banner? urgent", rules).severity
    assert decision.value == "minor"
    assert "type feature (+3.0)" in decision.rules


def test_quoted_lines_and_signatures_are_not_read(rules):
    text = "Could you add a map?\n> the site was down yesterday\n--\nAcme: all users matter"
    result = classify("", text, rules)
    assert result.type.value == "feature"
    assert result.severity.value == "minor"


# -- confidence and the low-confidence flag ----------------------------------------------


def test_confidence_is_the_winners_share_of_all_evidence(rules):
    # bug: "down" 3; question: default 0.5 -> 3 / (3 + 0.5 + evidence 2)
    assert classify("", "it is down", rules).type.confidence == round(3 / 5.5, 3)


def test_agreeing_signals_raise_confidence_and_competing_ones_lower_it(rules):
    one = classify("", "it is down", rules).type.confidence
    two = classify("Down", "it is down", rules).type.confidence
    mixed = classify("", "it is down. how do I restart it?", rules).type.confidence
    assert mixed < one < two < 1


def test_a_clear_request_is_not_flagged_and_a_split_one_is(rules):
    assert not classify("Site down", "all users see an error 500", rules).low_confidence
    assert classify("", "down? how do I check? could you add a monitor?", rules).low_confidence


@examples(200, deadline=None)
@given(subject=st.text(max_size=80), text=st.text(max_size=400))
def test_any_text_gives_valid_labels_and_confidences(subject, text):
    rules = load_rules(CONFIG)
    result = classify(subject, text, rules)
    assert result.type.value in {"bug", "feature", "security", "question"}
    assert result.severity.value in {"critical", "major", "minor"}
    for decision in (result.type, result.severity):
        assert 0.0 <= decision.confidence <= 1.0
        assert decision.rules  # there is always a reason, if only the default
    assert result == classify(subject, text, rules)  # pure: same input, same answer


def _scan_everything(rules: Rules) -> Rules:
    """The same rules with every phrase's word-run shortcut removed: each is scanned."""

    def axis(a: Axis) -> Axis:
        patterns = {
            label: tuple(replace(p, runs=frozenset()) for p in found)
            for label, found in a.patterns.items()
        }
        return replace(a, patterns=patterns)

    return replace(rules, type=axis(rules.type), severity=axis(rules.severity))


# Text made of the shipped phrases' own words, in any case, with the separators that sit
# on word boundaries: where a shortcut that skips a phrase too eagerly would show.
PHRASE_WORDS = sorted(
    {word for table in tomllib.loads(CONFIG.read_text()).get("type", {}).values()
     for phrase in table.get("phrases", {}) for word in phrase.split()}
)  # fmt: skip
# Letters re.IGNORECASE takes for others that lower() does not make the same.
LOOKALIKES = {"s": "ſ", "i": "ı", "I": "İ", "K": "\u212a", "ι": "\u0345"}
PIECES = st.one_of(
    st.sampled_from(PHRASE_WORDS),
    st.sampled_from(PHRASE_WORDS).map(str.upper),
    st.tuples(st.sampled_from(PHRASE_WORDS), st.sampled_from(sorted(LOOKALIKES))).map(
        lambda pair: (
            pair[0].upper().replace(pair[1], LOOKALIKES[pair[1]])
            if pair[1].isupper()
            else pair[0].replace(pair[1], LOOKALIKES[pair[1]])
        )
    ),
    st.sampled_from([" ", "  ", "\n", "'", "-", ".", ",", "_", "x", "é", "ǅ", "ς", "Σ", "ι"]),
)


@pytest.mark.parametrize(
    ("subject", "kind"),
    [
        ("VİRUS on our site", "security"),
        ("Our site got ranſomware", "security"),
        ("ınfected", "security"),
        ("\u0345virus", "security"),  # a combining mark re takes for ι, yet not a letter
    ],
)
def test_letters_the_regex_takes_for_others_still_match(subject, kind):
    rules = load_rules(CONFIG)
    assert classify(subject, "", rules).type.value == kind


@examples(300, deadline=None)
@given(
    subject=st.lists(PIECES, max_size=12).map("".join),
    text=st.lists(PIECES, max_size=60).map("".join),
)
def test_skipping_phrases_whose_words_are_missing_never_changes_a_decision(subject, text):
    rules = load_rules(CONFIG)
    assert classify(subject, text, rules) == classify(subject, text, _scan_everything(rules))


# -- the rules file ---------------------------------------------------------------------


def test_the_shipped_file_keeps_the_estimates():
    data = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert data["estimate"]["bug"] == {"critical": "3", "major": "2", "minor": "1"}
    assert data["estimate"]["question"]["minor"] == "0.5"
    assert set(data["estimate"]) == {"bug", "feature", "security", "question"}


STRIP = "strip = ['^>.*$', '(?s)^--\\s*$.*']"
TYPES_LISTED = "expected one of bug, feature, security, question"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "[type.question.phrases]",
            "[type.chore.phrases]",
            f"type.chore: unknown type; {TYPES_LISTED}",
        ),
        (
            "'error\\s*5\\d\\d' = 3",
            "'error(' = 3",
            "type.bug.regex.'error(': bad regex: missing ), unterminated subpattern at position 5",
        ),
        (
            '"typo" = 3',
            '"typo" = "lots"',
            "severity.minor.phrases.\"typo\": weight must be a number, not 'lots'",
        ),
        (
            '"typo" = 3',
            '"typo" = true',
            'severity.minor.phrases."typo": weight must be a number, not True',
        ),
        ('"typo" = 3', '"" = 3', 'severity.minor.phrases."": empty pattern'),
        (
            "subject_weight = 2.0",
            "subject_weight = -1",
            "classify.subject_weight: expected a number >= 0, not -1",
        ),
        (
            "subject_weight = 2.0",
            "subject_weight = true",
            "classify.subject_weight: expected a number >= 0, not True",
        ),
        (
            "evidence = 2.0",
            "evidence = -0.5",
            "classify.evidence: expected a number >= 0, not -0.5",
        ),
        (
            "low_confidence = 0.45",
            "low_confidence = 3",
            "classify.low_confidence: expected a number <= 1.0",
        ),
        (
            "negation_window = 1",
            'negation_window = "one"',
            "classify.negation_window: expected a number >= 0, not 'one'",
        ),
        (
            "default_type_score = 0.5",
            "default_type_score = -2",
            "classify.default_type_score: expected a number >= 0, not -2",
        ),
        (
            'default_type = "question"',
            'default_type = "chat"',
            f"classify.default_type: {TYPES_LISTED}",
        ),
        (
            'default_severity = "minor"',
            'default_severity = "meh"',
            "classify.default_severity: expected one of critical, major, minor",
        ),
        ("evidence = 2.0", "evidence = 2.0\nfudge = 1", "classify.fudge: unknown setting"),
        (
            "[severity.minor.after_type]",
            "[severity.minor.after_typ]",
            "severity.minor.after_typ: unknown key; expected phrases, regex or after_type",
        ),
        ("feature = 3", "chore = 3", "severity.minor.after_type.chore: unknown type"),
        (
            STRIP,
            "strip = ['(']",
            "classify.strip: bad regex: missing ), unterminated subpattern at position 0",
        ),
        (STRIP, "strip = '^>'", "classify.strip: expected a list of regexes"),
        (STRIP, "strip = ['  ']", "classify.strip: empty pattern"),
        (
            'negation_words = ["not", "no", "nothing"]',
            'negation_words = "not"',
            "classify.negation_words: expected a list of words",
        ),
        (
            'negation_words = ["not", "no", "nothing"]',
            'negation_words = ["not", 1]',
            "classify.negation_words: expected a list of words",
        ),
        (
            '[type.security.phrases]\n"vulnerability" = 4',
            "[type]\nsecurity = 4",
            "type.security: expected a table",
        ),
        (
            '[type.security.phrases]\n"vulnerability" = 4',
            "[type.security]\nphrases = 4",
            "type.security.phrases: expected a table of pattern = weight",
        ),
    ],
)
def test_a_bad_entry_is_one_line_naming_rules_file_and_the_entry(tmp_path, old, new, message):
    assert old in SMALL
    path = write(tmp_path, SMALL.replace(old, new, 1))
    with pytest.raises(ConfigError) as caught:
        load_rules(path)
    assert str(caught.value) == f"rules_file: {path}: {message}"


def test_the_settings_of_a_rules_file_are_read_and_the_ones_left_out_have_defaults(tmp_path):
    given = load_rules(write(tmp_path, SMALL))
    assert (given.subject_weight, given.evidence, given.low_confidence) == (2.0, 2.0, 0.45)
    assert (given.negation_window, given.negation_words) == (1, {"not", "no", "nothing"})
    assert [p.pattern for p in given.strip] == ["^>.*$", "(?s)^--\\s*$.*"]
    assert (given.type.default, given.type.default_score) == ("question", 0.5)
    assert (given.severity.default, given.severity.default_score) == ("minor", 1.5)
    bare = "[classify]\ndefault_type = 'bug'\ndefault_severity = 'major'\n[type]\n[severity]\n"
    defaults = load_rules(write(tmp_path, bare))
    assert (defaults.subject_weight, defaults.evidence, defaults.low_confidence) == (1.0, 2.0, 0.5)
    assert (defaults.negation_window, defaults.negation_words, defaults.strip) == (2, set(), ())
    assert (defaults.type.default_score, defaults.severity.default_score) == (1.0, 1.0)
    assert defaults.type.labels == ("bug", "feature", "security", "question")
    # The bounds themselves are allowed
    edges = "[classify]\nlow_confidence = 1\nevidence = 0\ndefault_type = 'bug'\n"
    edges += "default_severity = 'major'\n[type]\n[severity]\n"
    assert (load_rules(write(tmp_path, edges)).low_confidence, defaults.evidence) == (1.0, 2.0)
    assert load_rules(write(tmp_path, edges)).evidence == 0.0


def test_a_missing_or_unreadable_file_names_rules_file(tmp_path):
    with pytest.raises(ConfigError, match=r"^rules_file: .* not found$"):
        load_rules(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match=r"^rules_file: .* not valid TOML"):
        load_rules(write(tmp_path, "[classify\n"))
    with pytest.raises(ConfigError, match=r"^rules_file: .*missing \[classify\]"):
        load_rules(write(tmp_path, '[estimate.bug]\nminor = "1"\n'))


# -- staff corrections become labelled examples --------------------------------------------


def test_a_correction_has_the_shape_of_the_labelled_set():
    example = labelled_example("Site slow", 'It "crawls"\nsince 9am', "bug", "major")
    shape = set(load_examples(DATA)[0])
    assert set(example) == shape
    assert example["split"] == "correction"


def test_a_correction_appends_as_toml_that_reads_back(tmp_path):
    example = labelled_example('Quote "x"', 'Line one\nwith """ and \\ in it', "question", "minor")
    path = tmp_path / "corrections.toml"
    path.write_text(example_toml(example) + example_toml(example), encoding="utf-8")
    assert load_examples(path) == [example, example]


@examples(300, deadline=None)
@given(
    subject=st.text(st.characters(exclude_categories=["Cs"]), max_size=60),
    text=st.text(st.characters(exclude_categories=["Cs"]), max_size=200),
)
def test_any_subject_and_text_append_as_toml_that_reads_back(subject, text):
    # Given a correction of a message whose text holds anything a client may send (CR,
    # ESC, DEL, quotes, backslashes, non-ASCII)
    example = labelled_example(subject, text, "bug", "major")
    # When it is written as a block of the labelled set, then it reads back the same
    # (a subject's line breaks become spaces: it is one line)
    [read] = tomllib.loads(example_toml(example))["request"]
    assert read == {**example, "subject": example["subject"].replace("\n", " ")}


def test_a_correction_with_an_unknown_label_is_refused():
    with pytest.raises(InvalidInput, match="type"):
        labelled_example("s", "t", "chore", "minor")
    with pytest.raises(InvalidInput, match="severity"):
        labelled_example("s", "t", "bug", "blocker")

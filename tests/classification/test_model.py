"""The learned classifier: measured on a holdout nothing was tuned on, equal by hand to
scikit-learn's own arithmetic, and taught by staff corrections."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import sparse

from intake.classification import evaluation as ev
from intake.classification.model import Example, document, rule_features
from intake.classification.rules import classify, load_rules
from intake.classification.service import (
    example_files,
    holdout_examples,
    labelled,
    train,
    training_examples,
)
from intake.errors import ConfigError
from intake.settings import REVIEW_BELOW

ROOT = Path(__file__).resolve().parents[2]
LABELLED = ROOT / "tests" / "data" / "labelled"
# Floors on the holdout (the issue's); measured figures are in bench/README.md.
FLOORS = {"type": 0.85, "severity": 0.75}
# Each other language on its own: its holdout is 70 to 100 requests, so a floor sits
# about two standard errors under what was measured.
LANGUAGE_FLOORS = {"type": 0.75, "severity": 0.65}


@pytest.fixture(scope="module")
def rules():
    return load_rules(ROOT / "config" / "rules.toml")


@pytest.fixture(scope="module")
def model(rules):
    return train(training_examples(example_files(LABELLED)), rules)


@pytest.fixture(scope="module")
def measured(rules):
    files = example_files(LABELLED)
    return ev.measure(training_examples(files), holdout_examples(files), rules)


def test_the_labelled_set_is_large_varied_and_its_holdout_apart():
    entries = labelled(example_files(LABELLED))
    assert len(entries) >= 1200
    splits = Counter(e["split"] for e in entries)
    assert splits["holdout"] >= 300
    written = [e for e in entries if e["file"] != "house.toml"]
    assert all(e.get("made") and e.get("language") for e in written)
    languages = Counter(e["language"] for e in written)
    assert {"en", "de", "fr", "es", "nl"} <= set(languages)
    assert min(languages.values()) >= 150
    texts = [(e["subject"], e["text"]) for e in entries]
    assert len(set(texts)) == len(texts)
    # The holdout is fixed by a hash of the text, never chosen by hand or by results.
    import hashlib

    for e in written:
        digest = hashlib.sha256((e["subject"] + "\n" + e["text"]).encode()).digest()
        assert (e["split"] == "holdout") == (digest[0] % 4 == 0)


@pytest.mark.parametrize("axis", sorted(FLOORS))
def test_the_holdout_is_classified_at_least_at_the_floor(measured, axis):
    accuracy = ev.accuracy(measured, axis)
    assert accuracy >= FLOORS[axis], f"{axis}: {accuracy:.1%} < {FLOORS[axis]:.0%}"


@pytest.mark.parametrize("language", ["de", "fr", "es", "nl"])
def test_each_other_language_is_classified_too(measured, language):
    part = [o for o in measured if o.example.language == language]
    assert len(part) >= 60
    for axis, floor in LANGUAGE_FLOORS.items():
        accuracy = ev.accuracy(part, axis)
        assert accuracy >= floor, f"{language} {axis}: {accuracy:.1%} < {floor:.0%}"


def test_quotes_sent_without_review_are_right_on_type_19_times_in_20(measured):
    sent, right, _ = ev.automatic(measured, REVIEW_BELOW)
    assert sent >= len(measured) / 3, "review would take most requests from the model"
    assert right / sent >= 0.95, f"{right}/{sent} right on type"


def test_a_higher_probability_is_right_more_often(measured):
    for axis in ev.AXES:
        unsure = [o for o in measured if getattr(o, f"{axis}_probability") < 0.6]
        sure = [o for o in measured if getattr(o, f"{axis}_probability") >= 0.8]
        assert ev.accuracy(sure, axis) > ev.accuracy(unsure, axis) + 0.15


texts = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=300)
words = st.lists(
    st.sampled_from(
        [
            "the",
            "site",
            "checkout",
            "down",
            "broken",
            "please",
            "add",
            "page",
            "error",
            "update",
            "plugin",
            "hacked",
            "login",
            "Rechnung",
            "kaputt",
            "Seite",
            "panne",
            "facture",
            "página",
            "roto",
            "storing",
            "factuur",
            "?",
            "!",
            "500",
        ]
    ),
    max_size=40,
).map(" ".join)


@settings(max_examples=60, deadline=None)
@given(subject=st.one_of(texts, words), text=st.one_of(texts, words))
def test_the_hand_made_arithmetic_is_scikit_learns(model, rules, subject, text):
    shares = rule_features(classify(subject, text, rules))
    word_vectorizer, char_vectorizer = model.vectorizers
    doc = document(subject, text)
    theirs = sparse.hstack(
        [
            word_vectorizer.transform([doc]),
            char_vectorizer.transform([doc]),
            sparse.csr_matrix(np.asarray([shares])),
        ]
    ).toarray()
    ours = model.features(subject, text, shares).toarray()
    assert np.allclose(ours, theirs)
    guesses = model.predict(subject, text, shares)
    for axis, fitted in model.fitted.items():
        expected = dict(zip(fitted.classes_, fitted.predict_proba(theirs)[0], strict=True))
        assert dict(guesses[axis].probabilities) == pytest.approx(expected, abs=1e-9)
        assert guesses[axis].value == max(expected, key=expected.__getitem__)


def test_corrections_weigh_more_than_the_shipped_examples(rules, model):
    # A client whose "fix" means "change": the shipped set reads it as a bug.
    base = training_examples(example_files(LABELLED))
    asked = ("Fix the menu", "Please fix the lunch menu page so it shows the winter dishes")
    before = model.predict(*asked, rule_features(classify(*asked, rules)))
    assert before["type"].value == "bug"
    corrections = [
        Example(
            "Fix the prices",
            "Please fix the prices page so it shows the 2027 prices",
            "feature",
            "minor",
            3.0,
        ),
        Example(
            "fix opening hours",
            "Please fix the contact page so it shows the new hours",
            "feature",
            "minor",
            3.0,
        ),
        Example(
            "Fix the team page",
            "Please fix the team page so it shows Maria as manager",
            "feature",
            "minor",
            3.0,
        ),
    ]
    after = train(base + corrections, rules).predict(*asked, rule_features(classify(*asked, rules)))
    assert after["type"].value == "feature"


def test_a_broken_labelled_file_is_one_line_naming_it(tmp_path):
    (tmp_path / "bad.toml").write_text(
        '[[request]]\nsubject = "x"\ntext = "y"\ntype = "bogus"\nseverity = "minor"\n'
    )
    with pytest.raises(ConfigError, match=r"examples_dir: bad\.toml: 'x': type and severity"):
        training_examples(example_files(tmp_path))
    (tmp_path / "bad.toml").write_text("[[request]\n")
    with pytest.raises(ConfigError, match=r"examples_dir: .*bad\.toml"):
        training_examples(example_files(tmp_path))
    (tmp_path / "bad.toml").unlink()
    with pytest.raises(ConfigError, match=r"no labelled examples \(\*.toml\)"):
        example_files(tmp_path)


def test_a_set_without_enough_of_a_label_is_refused_in_one_line(rules):
    few = [e for e in training_examples(example_files(LABELLED)) if e.type != "security"][:200]
    few += [Example("Plugin update", "Please update the plugins", "security", "minor")] * 2
    with pytest.raises(
        ConfigError, match=r"at least 3 training requests of each type; .*security 2"
    ):
        train(few, rules)

"""Deciding a request's type and severity: the learned model, trained on the shipped
labelled set and the agency's own corrections, with the rules as its features and its
explanation.

The model is trained when first needed (``intake run`` asks at start-up) and again when
the labelled set, the rules or the corrections change; a trained model is kept per
process for as long as they stay the same, so deciding a request costs well under a
millisecond and training happens seconds at a time, rarely.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake import catalogue
from intake.classification.model import FOLDS, Example, Guess, Model, rule_features
from intake.classification.models import LabelledExample
from intake.classification.rules import (
    SEVERITIES,
    TYPES,
    Classification,
    Decision,
    Rules,
    classify,
    load_examples,
    load_rules,
)
from intake.errors import ConfigError
from intake.settings import Settings
from intake.tomlfile import modified_at

HOLDOUT = "holdout"
# A staff correction counts as this many shipped examples: the agency's own words, about
# its own clients, weigh more than anyone else's.
CORRECTION_WEIGHT = 3.0
# Models kept per process (one per set of corrections seen lately: tests and a process
# serving one agency need one or two).
KEPT = 2

_models: OrderedDict[tuple[object, ...], Model] = OrderedDict()
_lock = threading.Lock()  # the kept models
_training = threading.Lock()


def decide(session: Session, settings: Settings, subject: str, text: str) -> Classification:
    """The type and severity of one request, how sure the model is of each, and why."""
    rules = catalogue.read(settings.rules_file, load_rules)
    by_rules = classify(subject, text, rules)
    guesses = trained(session, settings).predict(subject, text, rule_features(by_rules))
    kind = _decision(guesses["type"], by_rules.type)
    severity = _decision(guesses["severity"], by_rules.severity)
    if by_rules.type.value != kind.value:
        # The rules weighed the severity for the type they read, not the one decided.
        reasons = tuple(r for r in severity.rules if not r.startswith("type "))
        severity = Decision(severity.value, severity.confidence, reasons, severity.shares)
    low = min(kind.confidence, severity.confidence) < settings.quotes.review_below
    return Classification(kind, severity, low)


def _decision(guess: Guess, rules: Decision) -> Decision:
    """The model's label and probability, explained: the model's figure, then the rules'
    signals when they agree, or what the rules would have said when they do not."""
    why = [f"model: {guess.value} {guess.probability:.2f}"]
    if rules.value == guess.value:
        why.extend(r for r in rules.rules if not r.startswith("default "))
    else:
        why.append(f"rules said {rules.value} {rules.confidence:.2f}")
    shares = {label: p for label, p in guess.probabilities}
    return Decision(guess.value, round(guess.probability, 3), tuple(why), shares)


def trained(session: Session, settings: Settings) -> Model:
    """The model for the shipped examples, the rules and the stored corrections as they
    are now: the one trained before when nothing changed, else a new one."""
    corrections = [
        (e.subject, e.text, e.type, e.severity)
        for e in session.scalars(sa.select(LabelledExample).order_by(LabelledExample.id))
    ]
    files = example_files(settings.examples_dir)
    key = (
        settings.rules_file,
        modified_at(settings.rules_file),
        tuple((f, modified_at(f)) for f in files),
        hashlib.sha256(repr(corrections).encode()).hexdigest(),
    )
    model = _kept(key)
    if model is not None:
        return model
    # One training at a time; a thread whose model is kept never waits for it.
    with _training:
        model = _kept(key)
        if model is not None:  # another thread trained it meanwhile
            return model
        rules = catalogue.read(settings.rules_file, load_rules)
        examples = training_examples(files) + [
            Example(subject, text, kind, severity, CORRECTION_WEIGHT)
            for subject, text, kind, severity in corrections
        ]
        model = train(examples, rules)
        with _lock:
            _models[key] = model
            while len(_models) > KEPT:
                _models.popitem(last=False)
        return model


def _kept(key: tuple[object, ...]) -> Model | None:
    with _lock:
        model = _models.get(key)
        if model is not None:
            _models.move_to_end(key)
        return model


def train(examples: list[Example], rules: Rules) -> Model:
    """A model fitted to ``examples``, with the rules' view of each as features. Refused
    in one line when a type or severity has too few examples to learn and calibrate."""
    for axis, labels in (("type", TYPES), ("severity", SEVERITIES)):
        counts = Counter(getattr(e, axis) for e in examples)
        scarce = [f"{label} {counts[label]}" for label in labels if counts[label] < FOLDS]
        if scarce:
            raise ConfigError(
                f"examples_dir: the labelled set needs at least {FOLDS} training requests of "
                f"each {axis}; it has {', '.join(scarce)}"
            )
    return Model(examples, [rule_features(classify(e.subject, e.text, rules)) for e in examples])


def example_files(folder: Path) -> list[Path]:
    """The labelled set's files: every ``*.toml`` in ``folder``, in name order."""
    files = sorted(folder.glob("*.toml"))
    if not files:
        raise ConfigError(f"examples_dir: no labelled examples (*.toml) in {folder}")
    return files


def labelled(files: Iterable[Path]) -> list[dict[str, str]]:
    """Every labelled example of ``files``, each with the file it came from."""
    found = []
    for path in files:
        try:
            entries = load_examples(path)
        except (OSError, ValueError) as exc:  # tomllib's errors are ValueErrors
            raise ConfigError(f"examples_dir: {path}: {exc}") from None
        for entry in entries:
            entry["file"] = path.name
            found.append(entry)
    return found


def training_examples(files: Iterable[Path]) -> list[Example]:
    """The examples the model learns from: all but the holdout, which only measures."""
    return [_example(e) for e in labelled(files) if e.get("split") != HOLDOUT]


def holdout_examples(files: Iterable[Path]) -> list[Example]:
    """The examples that only measure: never learned from, never read to tune."""
    return [_example(e) for e in labelled(files) if e.get("split") == HOLDOUT]


def _example(entry: dict[str, str]) -> Example:
    where = f"examples_dir: {entry['file']}: {entry.get('subject', '')!r}"
    if entry.get("type") not in TYPES or entry.get("severity") not in SEVERITIES:
        raise ConfigError(f"{where}: type and severity must be one of {TYPES} and {SEVERITIES}")
    if not isinstance(entry.get("text"), str) or not isinstance(entry.get("subject"), str):
        raise ConfigError(f"{where}: subject and text must be strings")
    return Example(
        entry["subject"],
        entry["text"],
        entry["type"],
        entry["severity"],
        language=entry.get("language", "en"),
    )

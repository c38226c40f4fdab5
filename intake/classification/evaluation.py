"""How well the classifier does on labelled requests it never learned from: accuracy per
label, the confusion matrix, the calibration (of requests at probability p, how many are
right) and what a review threshold would send unseen. Pure, apart from training.

The holdout of the labelled set is only ever measured here; cross-validation over the
training examples is what choosing a setting may read (``review_threshold``).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass

from intake.classification.model import Example, rule_features
from intake.classification.rules import SEVERITIES, TYPES, Rules, classify
from intake.classification.service import train

AXES = {"type": TYPES, "severity": SEVERITIES}
# The calibration's bins: probabilities from each bound up to the next.
BINS = (0.0, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95)


@dataclass(frozen=True)
class Outcome:
    """One measured request: its labels and what the model said, with probabilities."""

    example: Example
    type: str
    type_probability: float
    severity: str
    severity_probability: float

    def right(self, axis: str) -> bool:
        return getattr(self, axis) == getattr(self.example, axis)

    @property
    def sureness(self) -> float:
        """What a review threshold is compared with: the less sure of the two."""
        return min(self.type_probability, self.severity_probability)


def measure(learn: Sequence[Example], test: Sequence[Example], rules: Rules) -> list[Outcome]:
    """Train on ``learn``, classify each of ``test``."""
    model = train(list(learn), rules)
    outcomes = []
    for e in test:
        guess = model.predict(e.subject, e.text, rule_features(classify(e.subject, e.text, rules)))
        kind, severity = guess["type"], guess["severity"]
        outcomes.append(
            Outcome(e, kind.value, kind.probability, severity.value, severity.probability)
        )
    return outcomes


def cross_validated(examples: Sequence[Example], rules: Rules, folds: int = 5) -> list[Outcome]:
    """Each example classified by a model trained on the other folds (a fixed shuffle)."""
    order = list(range(len(examples)))
    random.Random(15).shuffle(order)
    fold_of = {index: n % folds for n, index in enumerate(order)}
    outcomes: list[Outcome] = []
    for fold in range(folds):
        learn = [e for i, e in enumerate(examples) if fold_of[i] != fold]
        test = [e for i, e in enumerate(examples) if fold_of[i] == fold]
        outcomes.extend(measure(learn, test, rules))
    return outcomes


def accuracy(outcomes: Sequence[Outcome], axis: str) -> float:
    return sum(o.right(axis) for o in outcomes) / len(outcomes) if outcomes else 0.0


def per_label(outcomes: Sequence[Outcome], axis: str) -> dict[str, tuple[int, int]]:
    """For each label: (requests of that label classified right, requests of that label)."""
    return {
        label: (
            sum(o.right(axis) for o in outcomes if getattr(o.example, axis) == label),
            sum(getattr(o.example, axis) == label for o in outcomes),
        )
        for label in AXES[axis]
    }


def confusion(outcomes: Sequence[Outcome], axis: str) -> dict[str, dict[str, int]]:
    """``[true label][predicted label]`` counts."""
    labels = AXES[axis]
    table = {true: dict.fromkeys(labels, 0) for true in labels}
    for o in outcomes:
        table[getattr(o.example, axis)][getattr(o, axis)] += 1
    return table


def calibration(outcomes: Sequence[Outcome], axis: str) -> list[tuple[float, int, int]]:
    """Per bin of the model's probability: (the bin's lower bound, requests, right)."""
    rows = []
    for n, low in enumerate(BINS):
        high = BINS[n + 1] if n + 1 < len(BINS) else 1.01
        chosen = [o for o in outcomes if low <= getattr(o, f"{axis}_probability") < high]
        rows.append((low, len(chosen), sum(o.right(axis) for o in chosen)))
    return rows


def automatic(outcomes: Sequence[Outcome], below: float) -> tuple[int, int, int]:
    """With review under ``below``: (quoted without review, of them right on type, of
    them right on type and severity)."""
    sent = [o for o in outcomes if o.sureness >= below]
    return (
        len(sent),
        sum(o.right("type") for o in sent),
        sum(o.right("type") and o.right("severity") for o in sent),
    )


def review_threshold(outcomes: Sequence[Outcome], aim: float = 0.95) -> float:
    """The lowest threshold (in steps of 0.05) at which the requests quoted without review
    are right on type at least ``aim`` of the time."""
    for step in range(0, 20):
        below = step / 20
        sent, right, _ = automatic(outcomes, below)
        if sent and right / sent >= aim:
            return below
    return 1.0

"""A learned classifier for type and severity, trained from labelled requests.

scikit-learn fits it: TF-IDF over words and over character n-grams within words, so
"Checkout", "checkout-Seite" and "checkouts" share evidence in any language, plus the
rules' own shares of evidence for each label as features; then one linear support-vector
classifier per axis, its scores made into probabilities (Platt scaling, cross-validated)
that say how sure it is.

Training is done from the labelled texts themselves each time (no model file is kept):
a few thousand examples take seconds. Predicting one request does not go through
scikit-learn's per-call checks, which cost more than the arithmetic: :meth:`Model.predict`
computes the same TF-IDF vector, scores and sigmoids by hand (tests hold them equal to
scikit-learn's own ``transform`` and ``predict_proba``), well under a millisecond.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

from intake.classification.rules import SEVERITIES, TYPES, Classification

# How much of a message is read: a request says what it is near its top.
TEXT_LIMIT = 2000
# Chosen by cross-validation on the training examples only, never the holdout
# (bench/classifier.py --choose): how closely the classifiers fit the examples
# (LinearSVC's C), the lengths of the character n-grams, and how much one rule share
# weighs against the text's own (unit-length) TF-IDF vectors. C = 3 scored 0.2 points
# higher, within the noise of five folds, and trains 5,000 examples in 10 s, not 7.
STRENGTH = 1.0
CHARACTERS = (2, 4)
RULE_WEIGHT = 0.3
# Folds for fitting the calibration.
FOLDS = 3
AXES = ("type", "severity")


@dataclass(frozen=True)
class Example:
    """A labelled request; ``weight`` counts it more than once (a staff correction)."""

    subject: str
    text: str
    type: str
    severity: str
    weight: float = 1.0
    language: str = ""  # as the labelled set says (en, de, fr, es, nl); "" when unknown


@dataclass(frozen=True)
class Guess:
    """The model's probability for each label of one axis, best first."""

    probabilities: tuple[tuple[str, float], ...]

    @property
    def value(self) -> str:
        return self.probabilities[0][0]

    @property
    def probability(self) -> float:
        return self.probabilities[0][1]


def document(subject: str, text: str) -> str:
    """What the model reads of a request: the subject twice (it says more per word than
    the body does), then the start of the text."""
    subject = subject.strip()
    return f"{subject}\n{subject}\n{text[:TEXT_LIMIT]}"


def rule_features(decided: Classification) -> list[float]:
    """The rules' share of evidence for each type and each severity, in TYPES and
    SEVERITIES order: what the rules think, as numbers the model weighs."""
    return [
        *(decided.type.shares.get(label, 0.0) * RULE_WEIGHT for label in TYPES),
        *(decided.severity.shares.get(label, 0.0) * RULE_WEIGHT for label in SEVERITIES),
    ]


class _Vectoriser:
    """One fitted TfidfVectorizer, applied by hand to one document."""

    def __init__(self, fitted: Any) -> None:
        self.analyse: Callable[[str], list[str]] = fitted.build_analyzer()
        self.vocabulary: Mapping[str, int] = fitted.vocabulary_
        self.idf: np.ndarray = fitted.idf_

    def vector(self, doc: str) -> tuple[np.ndarray, np.ndarray]:
        """The column indices and values of the document's row (sublinear tf, idf, l2)."""
        counts = Counter(
            index for index in map(self.vocabulary.get, self.analyse(doc)) if index is not None
        )
        if not counts:
            return np.empty(0, dtype=np.intp), np.empty(0)
        columns = np.fromiter(counts, dtype=np.intp, count=len(counts))
        tf = np.fromiter((1.0 + math.log(n) for n in counts.values()), float, len(counts))
        values = tf * self.idf[columns]
        return columns, values / np.sqrt(values @ values)


class Model:
    """Two fitted, calibrated linear classifiers (type, severity) over one set of features."""

    def __init__(self, examples: Sequence[Example], rule_rows: Sequence[Sequence[float]]):
        from sklearn.calibration import CalibratedClassifierCV
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.svm import LinearSVC

        if len(examples) != len(rule_rows):
            raise ValueError("one row of rule features per example")
        docs = [document(e.subject, e.text) for e in examples]
        words = TfidfVectorizer(sublinear_tf=True, strip_accents="unicode", dtype=np.float64)
        chars = TfidfVectorizer(
            sublinear_tf=True,
            strip_accents="unicode",
            analyzer="char_wb",
            ngram_range=CHARACTERS,
            min_df=2,
            dtype=np.float64,
        )
        matrix = sparse.hstack(
            [
                words.fit_transform(docs),
                chars.fit_transform(docs),
                sparse.csr_matrix(np.asarray(rule_rows, dtype=float)),
            ]
        ).tocsr()
        weights = np.asarray([e.weight for e in examples])
        self.vectorizers = (words, chars)  # scikit-learn's own, for tests and evaluation
        self._vectorisers = (_Vectoriser(words), _Vectoriser(chars))
        self._offsets = (0, len(words.vocabulary_), len(words.vocabulary_) + len(chars.vocabulary_))

        def fit(axis: str) -> CalibratedClassifierCV:
            # Platt scaling, fitted on predictions for examples each fold did not see, so
            # a probability of 0.8 means right about 8 times in 10; the classifier itself
            # is then fitted to every example.
            calibrated = CalibratedClassifierCV(
                LinearSVC(C=STRENGTH), method="sigmoid", cv=FOLDS, ensemble=False
            )
            return calibrated.fit(
                matrix, [getattr(e, axis) for e in examples], sample_weight=weights
            )

        # liblinear lets go of the GIL: the two axes train side by side.
        with ThreadPoolExecutor(2) as pool:
            self.fitted = dict(zip(AXES, pool.map(fit, AXES), strict=True))
        self._axes = {axis: _Axis.of(fitted) for axis, fitted in self.fitted.items()}
        self.size = len(examples)

    def features(self, subject: str, text: str, rules: Sequence[float]) -> sparse.csr_matrix:
        """The request's feature row, as scikit-learn sees it (for tests and evaluation)."""
        columns, values = self._row(subject, text, rules)
        width = self._offsets[2] + len(rules)
        return sparse.csr_matrix((values, (np.zeros(len(columns), int), columns)), (1, width))

    def _row(
        self, subject: str, text: str, rules: Sequence[float]
    ) -> tuple[np.ndarray, np.ndarray]:
        doc = document(subject, text)
        (word_columns, word_values), (char_columns, char_values) = (
            v.vector(doc) for v in self._vectorisers
        )
        columns = np.concatenate(
            [
                word_columns,
                char_columns + self._offsets[1],
                self._offsets[2] + np.arange(len(rules)),
            ]
        )
        return columns, np.concatenate([word_values, char_values, np.asarray(rules, float)])

    def predict(self, subject: str, text: str, rules: Sequence[float]) -> dict[str, Guess]:
        """The probability of each type and each severity of one request."""
        columns, values = self._row(subject, text, rules)
        return {axis: fitted.guess(columns, values) for axis, fitted in self._axes.items()}


@dataclass(frozen=True)
class _Axis:
    """One calibrated classifier as plain arrays: a score per class, each turned into a
    probability by its own sigmoid, the probabilities then made to sum to one."""

    classes: tuple[str, ...]
    coef: np.ndarray  # features x classes
    intercept: np.ndarray
    slope: np.ndarray  # the sigmoids: p = 1 / (1 + exp(slope * score + offset))
    offset: np.ndarray

    @classmethod
    def of(cls, calibrated: Any) -> _Axis:
        (fitted,) = calibrated.calibrated_classifiers_
        svc = fitted.estimator
        if len(svc.classes_) < 3:
            raise ValueError("the labelled set must hold at least three labels of each axis")
        return cls(
            tuple(str(c) for c in svc.classes_),
            np.ascontiguousarray(svc.coef_.T),
            svc.intercept_,
            np.asarray([c.a_ for c in fitted.calibrators]),
            np.asarray([c.b_ for c in fitted.calibrators]),
        )

    def guess(self, columns: np.ndarray, values: np.ndarray) -> Guess:
        scores = values @ self.coef[columns] + self.intercept
        raw = 1.0 / (1.0 + np.exp(self.slope * scores + self.offset))
        total = raw.sum()
        probabilities = raw / total if total > 0 else np.full(len(raw), 1 / len(raw))
        order = np.argsort(-probabilities, kind="stable")
        return Guess(tuple((self.classes[i], float(probabilities[i])) for i in order))

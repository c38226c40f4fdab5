"""The learned classifier's costs and its settings, chosen on the training part only.

    python -m bench.classifier                 # CPU per request, training time at 5,000
    python -m bench.classifier --choose        # cross-validate the settings on the training part

Speed: the CPU milliseconds to classify one request (the rules and the model together, as
filing does), over every training example, and the seconds to train on 5,000 examples
(the training part repeated with its words shuffled, so no two are the same text).

--choose: 5-fold cross-validation over the training part (never the holdout) of a small
grid of the model's settings (C, the character n-gram lengths, the weight of the rules'
features) and the review threshold that gives 95 % right on type; the chosen ones are
the constants in intake/classification/model.py and settings.REVIEW_BELOW.
"""

from __future__ import annotations

import argparse
import random
import time
from pathlib import Path

from intake.classification import evaluation as ev
from intake.classification import model as m
from intake.classification.rules import classify, load_rules
from intake.classification.service import example_files, train, training_examples

ROOT = Path(__file__).resolve().parents[1]


def speed(examples: list[m.Example], rules) -> None:  # type: ignore[no-untyped-def]
    model = train(examples, rules)
    started = time.process_time()
    rounds = 3
    for _ in range(rounds):
        for e in examples:
            model.predict(e.subject, e.text, m.rule_features(classify(e.subject, e.text, rules)))
    per = (time.process_time() - started) / (rounds * len(examples)) * 1000
    longest = max(examples, key=lambda e: len(e.text))
    started = time.process_time()
    for _ in range(100):
        model.predict(
            longest.subject,
            longest.text * 4,
            m.rule_features(classify(longest.subject, longest.text * 4, rules)),
        )
    long_per = (time.process_time() - started) / 100 * 1000
    print(f"classify: {per:.2f} ms CPU a request (mean of {len(examples)}, rules and model)")
    print(f"          {long_per:.2f} ms CPU for a request of {len(longest.text) * 4} characters")
    shuffled = random.Random(5)
    many = []
    while len(many) < 5000:
        for e in examples:
            words = e.text.split()
            shuffled.shuffle(words)
            many.append(m.Example(e.subject, " ".join(words), e.type, e.severity))
    many = many[:5000]
    started = time.perf_counter()
    cpu = time.process_time()
    train(many, rules)
    print(
        f"training on {len(many)} examples: {time.perf_counter() - started:.1f} s "
        f"({time.process_time() - cpu:.1f} s CPU)"
    )


def choose(examples: list[m.Example], rules) -> None:  # type: ignore[no-untyped-def]
    print(f"5-fold cross-validation over the {len(examples)} training examples")
    print(f"{'C':>5} {'chars':>7} {'rules':>6} {'type':>7} {'severity':>9} {'review@95%':>11}")
    best = None
    for strength in (0.3, 1.0, 3.0):
        for characters in ((2, 4), (3, 5)):
            for weight in (0.0, 0.3, 1.0):
                m.STRENGTH, m.CHARACTERS, m.RULE_WEIGHT = strength, characters, weight
                outcomes = ev.cross_validated(examples, rules)
                kind, severity = ev.accuracy(outcomes, "type"), ev.accuracy(outcomes, "severity")
                threshold = ev.review_threshold(outcomes)
                print(
                    f"{strength:>5} {characters!s:>7} {weight:>6} {kind:>7.1%} "
                    f"{severity:>9.1%} {threshold:>11}"
                )
                score = kind + severity
                if best is None or score > best[0]:
                    best = (score, strength, characters, weight, threshold)
    assert best is not None
    print(f"best (type + severity): C={best[1]} chars={best[2]} rules={best[3]}, review {best[4]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--choose", action="store_true", help="cross-validate the settings")
    args = parser.parse_args()
    rules = load_rules(ROOT / "config" / "rules.toml")
    examples = training_examples(example_files(ROOT / "tests" / "data" / "labelled"))
    if args.choose:
        choose(examples, rules)
    else:
        speed(examples, rules)


if __name__ == "__main__":
    main()

"""Classifier accuracy on the labelled set: type, severity and both, on the development
half, the held-out half and all of it, with confusion matrices and every miss.

    python bench/classify.py [--rules config/rules.toml] [--data tests/data/labelled/house.toml]
                             [--split rules-dev|rules-holdout|all] [--quiet]
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from intake.classification import Classification, classify, load_examples, load_rules  # noqa: E402
from intake.classification.rules import SEVERITIES, TYPES, Rules  # noqa: E402

SPLITS = ("rules-dev", "rules-holdout", "all")


Results = list[tuple[dict[str, str], Classification]]


def run(rules: Rules, examples: list[dict[str, str]]) -> Results:
    return [(e, classify(e["subject"], e["text"], rules)) for e in examples]


def accuracy(results: Results) -> dict[str, float]:
    n = len(results) or 1
    kind = sum(e["type"] == c.type.value for e, c in results)
    severity = sum(e["severity"] == c.severity.value for e, c in results)
    both = sum(e["type"] == c.type.value and e["severity"] == c.severity.value for e, c in results)
    flagged = sum(c.low_confidence for _, c in results)
    return {"type": kind / n, "severity": severity / n, "both": both / n, "flagged": flagged / n}


def confusion(results: Results, axis: str, labels: tuple[str, ...]) -> str:
    counts = Counter((e[axis], getattr(c, axis).value) for e, c in results)
    width = max(len(label) for label in labels) + 2
    rows = [f"{axis + ' (row: label)':<{width + 12}}" + "".join(f"{x:>{width}}" for x in labels)]
    for truth in labels:
        cells = "".join(f"{counts[(truth, guess)]:>{width}}" for guess in labels)
        rows.append(f"  {truth:<{width + 10}}{cells}")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=ROOT / "config" / "rules.toml")
    parser.add_argument(
        "--data", type=Path, default=ROOT / "tests" / "data" / "labelled" / "house.toml"
    )
    parser.add_argument(
        "--split",
        choices=SPLITS,
        default="rules-dev",
        help="whose confusion matrices and misses to print (default: dev)",
    )
    parser.add_argument("--quiet", action="store_true", help="figures only")
    args = parser.parse_args()
    rules = load_rules(args.rules)
    examples = load_examples(args.data)
    results = {
        split: run(rules, [e for e in examples if split == "all" or e.get("split") == split])
        for split in SPLITS
    }
    print(f"{'split':<9}{'n':>5}{'type':>9}{'severity':>10}{'both':>8}{'flagged':>9}")
    for split in SPLITS:
        a = accuracy(results[split])
        print(
            f"{split:<9}{len(results[split]):>5}{a['type']:>9.1%}{a['severity']:>10.1%}"
            f"{a['both']:>8.1%}{a['flagged']:>9.1%}"
        )
    everything = results["all"]
    for flagged in (False, True):
        part = [(e, c) for e, c in everything if c.low_confidence == flagged]
        a = accuracy(part)
        print(
            f"{'flagged' if flagged else 'confident'} (all): {len(part)} requests, "
            f"type {a['type']:.1%}, severity {a['severity']:.1%}, both {a['both']:.1%}"
        )
    if args.quiet:
        return
    chosen = results[args.split]
    print(f"\nconfusion on {args.split}")
    print(confusion(chosen, "type", TYPES))
    print(confusion(chosen, "severity", SEVERITIES))
    misses = [
        (e, c) for e, c in chosen if (e["type"], e["severity"]) != (c.type.value, c.severity.value)
    ]
    print(f"\nmisclassified on {args.split}: {len(misses)}")
    for e, c in misses:
        print(f"\n- {e['subject']!r} [{e.get('split', '?')}]")
        for axis in ("type", "severity"):
            decision = getattr(c, axis)
            mark = "ok " if e[axis] == decision.value else "BAD"
            print(
                f"  {mark} {axis}: {decision.value} (label {e[axis]}), "
                f"confidence {decision.confidence:.2f}: {', '.join(decision.rules) or '-'}"
            )


if __name__ == "__main__":
    main()

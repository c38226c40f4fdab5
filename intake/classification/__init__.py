"""Classification: a request's type and severity from the weighted rules in ``rules_file``."""

from intake.classification.rules import (
    Classification,
    Decision,
    Rules,
    classify,
    example_toml,
    labelled_example,
    load_examples,
    load_rules,
)

__all__ = [
    "Classification",
    "Decision",
    "Rules",
    "classify",
    "example_toml",
    "labelled_example",
    "load_examples",
    "load_rules",
]

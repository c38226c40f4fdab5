"""How many examples a property test draws: its own number, or under mutation testing
(``INTAKE_MUTATION=1``, set by bench/mutation.sh) a quarter of it, drawn the same way every
run and with no deadline, so each mutant meets the same examples, a slow mutant is not
taken for a caught one, and a score can be repeated."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import settings

MUTATION = os.environ.get("INTAKE_MUTATION") == "1"

if MUTATION:
    settings.register_profile("mutation", max_examples=25, derandomize=True, deadline=None)
    settings.load_profile("mutation")


def examples(count: int, **options: Any) -> settings:
    """``@examples(200)``: the settings of a property test that draws ``count`` examples."""
    if MUTATION:
        return settings(max_examples=max(20, count // 4), **{**options, "deadline": None})
    return settings(max_examples=count, **options)

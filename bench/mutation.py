"""Mutation scores of the pure core, module by module, from what `mutmut run` left in
``mutants/`` (see bench/mutation.sh). A mutant counts as caught when a test failed on it,
timed out on it, or the type checker refused it; survived or reached by no test, it is
missed. Mutants written down in bench/README.md as equivalent (the same behaviour as the
code, so no test can tell them apart, each with the reason: bench/mutation-equivalent.toml)
are set aside; the score is printed both ways, and the floor is checked without them.

    python -m bench.mutation [--survivors]
"""

from __future__ import annotations

import argparse
import json
import tomllib

from bench.common import ROOT

CAUGHT = {"killed", "timeout", "caught by type check"}  # mutmut's names for its exit codes
FLOORS = {"intake/quotes/pricing.py": 97.0, "intake/billing/statement.py": 97.0}
FLOOR = 93.0


def modules() -> list[str]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(config["tool"]["mutmut"]["only_mutate"])


def results(module: str) -> dict[str, int | None]:
    meta = ROOT / "mutants" / f"{module}.meta"
    if not meta.exists():
        raise SystemExit(f"no results for {module}: run bench/mutation.sh first")
    return dict(json.loads(meta.read_text())["exit_code_by_key"])


def status(code: int) -> str:
    """What mutmut calls a mutant's exit code (its own table, so the two never disagree)."""
    from mutmut.stats import status_by_exit_code  # the [mutation] extra

    return str(status_by_exit_code[code])


def equivalents() -> dict[str, str]:
    path = ROOT / "bench" / "mutation-equivalent.toml"
    return dict(tomllib.loads(path.read_text())["equivalent"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--survivors", action="store_true", help="list the missed mutants")
    args = parser.parse_args()
    equivalent = equivalents()
    below = []
    for module in modules():
        codes = results(module)
        unchecked = [name for name, code in codes.items() if code is None]
        survived = sorted(
            n for n, code in codes.items() if code is not None and status(code) not in CAUGHT
        )
        missed = [name for name in survived if name not in equivalent]
        aside = len(survived) - len(missed)
        checked = len(codes) - len(unchecked)
        raw = 100.0 * (checked - len(survived)) / checked if checked else 0.0
        score = 100.0 * (checked - len(survived)) / (checked - aside) if checked else 0.0
        floor = FLOORS.get(module, FLOOR)
        mark = "ok" if score >= floor and not unchecked else "BELOW"
        if mark != "ok":
            below.append(module)
        extra = f", {len(unchecked)} not run" if unchecked else ""
        print(
            f"{module}: {score:.1f} % caught of {checked - aside} mutants ({raw:.1f} % of "
            f"{checked} with the {aside} equivalent ones), {len(missed)} missed{extra} "
            f"(floor {floor:.0f} %: {mark})"
        )
        if args.survivors:
            for name in missed:
                print(f"    {name}  (mutmut show {name})")
    if below:
        raise SystemExit(f"below the floor: {', '.join(below)}")


if __name__ == "__main__":
    main()

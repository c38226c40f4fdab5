"""Machine mail recognised on mail nobody here wrote: every message in a folder of public
fixtures (one sub-folder per kind: bounce, autoreply, abuse, human), parsed and checked as
filing would, and filed through the filing chain on SQLite to see that nothing is answered.
Prints, per kind, how many were recognised as machine mail (for mail written by people, how
many were taken for it), and lists the misses.

    python -m bench.machine [FOLDER] [--part holdout|tune|all]

FOLDER is bench/public-mail unless given: 395 messages copied, without sight of the checks,
from the test sets of bounce parsers, mail libraries and help desks (SOURCES.tsv names each
file's repository, path and licence). Each file falls in one half by a hash of its name:
"tune" is the half whose misses may be read to improve the checks; "holdout" is the half
whose figure is reported, and whose misses are never printed (a rule fitted to them would
score well here and nowhere else).
"""

from __future__ import annotations

import argparse
import collections
import hashlib
import sys
import tempfile
from pathlib import Path

from bench.common import ROOT  # noqa: F401  (puts the repository on the path)
from intake.db import make_engine, session_factory, transaction, upgrade
from intake.errors import UnparseableMail
from intake.filing.service import file_batch
from intake.mail.machine import detect_machine
from intake.mail.parsing import parse
from intake.mail.store import Fetched, store_raw
from intake.settings import StaffMember, load_settings
from tests.factories import add_example_clients

OURS = frozenset({"support@agency.example"})
PUBLIC = Path(__file__).parent / "public-mail"
# The sub-folder of mail written by people: what is "recognised" there is a mistake.
PEOPLE = "human"


def half(name: str) -> str:
    """The half a file falls in, by its name: the same on every machine and every run."""
    return "holdout" if hashlib.sha256(name.encode()).digest()[0] % 2 else "tune"


def measure(folder: Path, part: str = "holdout") -> dict[str, dict[str, object]]:
    """Per kind: messages, recognised, misses (file and why), and answered (emails to a
    sender) once filed."""
    found: dict[str, dict[str, object]] = {}
    database = Path(tempfile.mkdtemp()) / "bench.db"
    url = f"sqlite:///{database}"
    engine = make_engine(url)
    upgrade(engine)
    settings = load_settings(
        None, database_url=url, staff=[StaffMember(email="dana@agency.example")]
    )
    factory = session_factory(engine)
    with transaction(factory) as session:
        add_example_clients(session)
    uid = 0
    for kind_dir in sorted(p for p in folder.iterdir() if p.is_dir() and p.name[0] != "."):
        files = sorted(
            p for p in kind_dir.iterdir() if p.is_file() and part in ("all", half(p.name))
        )
        people = kind_dir.name == PEOPLE
        misses: list[str] = []  # machines not recognised, or people taken for machines
        checks: collections.Counter[str] = collections.Counter()
        answered = 0
        for path in files:
            raw = path.read_bytes()
            try:
                verdict = detect_machine(parse(raw), OURS)
            except UnparseableMail as exc:
                verdict = None
                misses.append(f"{path.name}: unreadable ({exc})")
            if verdict is not None:
                checks[verdict.check] += 1
                if people:
                    misses.append(f"{path.name}: {verdict.check}")
            elif not people and (not misses or not misses[-1].startswith(path.name)):
                misses.append(path.name)
            uid += 1
            with transaction(factory) as session:
                ids = store_raw(session, "bench", 1, [Fetched(uid, raw)])
                for outcome in file_batch(session, settings, ids):
                    for sent in outcome.outbound:
                        if set(sent.recipients) - {"dana@agency.example"}:
                            answered += 1
        found[kind_dir.name] = {
            "messages": len(files),
            "recognised": sum(checks.values()),
            "checks": dict(checks.most_common()),
            "answered": answered,
            "misses": misses,
        }
    engine.dispose()
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=PUBLIC)
    parser.add_argument("--part", choices=["holdout", "tune", "all"], default="holdout")
    args = parser.parse_args()
    if not args.folder.is_dir():
        sys.exit(f"{args.folder}: not a folder of fixtures (see bench/README.md)")
    print(f"{args.part} half of {args.folder}" if args.part != "all" else str(args.folder))
    for kind, row in measure(args.folder, args.part).items():
        n, ok = row["messages"], row["recognised"]
        share = 100.0 * ok / n if n else 0.0  # type: ignore[operator]
        verb = "taken for machine mail" if kind == PEOPLE else "recognised as machine mail"
        print(
            f"{kind:<10} {ok}/{n} {verb} ({share:.1f} %), "
            f"{row['answered']} answered to anyone but staff"
        )
        print(f"           by check: {row['checks']}")
        if args.part == "holdout":
            continue  # the misses of the holdout are not read: see the docstring
        for miss in row["misses"]:  # type: ignore[attr-defined]
            print(f"           missed: {miss}")


if __name__ == "__main__":
    main()

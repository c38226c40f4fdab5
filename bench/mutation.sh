#!/bin/sh
# Mutation testing of the pure core (the modules under [tool.mutmut] in pyproject.toml) on
# their pure tests, no server needed; then each module's score against its floor.
#
#     python3 -m pip install -e '.[test,mutation]'
#     bench/mutation.sh            # every module, from scratch (about 20 minutes on 2 cores)
#     bench/mutation.sh pricing    # the modules whose path holds this word, again
#
# mutmut keeps its results in mutants/: `mutmut show NAME` prints a missed mutant's diff,
# `mutmut browse` walks them. Property tests draw a quarter of their examples here, the
# same ones every run (tests/drawn.py).
set -eu
cd "$(dirname "$0")/.."
export INTAKE_MUTATION=1
# A machine clock far from UTC: a mutant that returns a moment in the local zone instead of
# UTC is then caught, not the same instant under another name.
export TZ=America/Los_Angeles
jobs="${JOBS:-$(nproc)}"
if [ $# -eq 0 ]; then
    rm -rf mutants
    time mutmut run --max-children "$jobs"
else
    for word in "$@"; do
        time mutmut run --max-children "$jobs" "intake.*$word*"
    done
fi
python3 -m bench.mutation --survivors

"""The pure part of the mailbox adapter: cutting a backlog into batches by size."""

from __future__ import annotations

from itertools import pairwise

from hypothesis import given
from hypothesis import strategies as st

from intake.mail.mailbox import by_size


@given(
    sizes=st.lists(st.integers(min_value=0, max_value=5_000), max_size=60),
    limit=st.integers(min_value=1, max_value=8_000),
)
def test_batches_keep_every_message_once_in_order_and_within_the_limit(sizes, limit):
    uids = list(range(1, len(sizes) + 1))
    size_of = dict(zip(uids, sizes, strict=True))
    runs = by_size(uids, size_of, limit)
    assert [uid for run in runs for uid in run] == uids
    for run in runs:
        assert run, "no empty batch"
        assert len(run) == 1 or sum(size_of[uid] for uid in run) <= limit
    # and no two neighbouring batches could have been one
    for first, second in pairwise(runs):
        together = sum(size_of[uid] for uid in first) + size_of[second[0]]
        assert together > limit


def test_a_message_larger_than_the_limit_is_read_on_its_own():
    assert by_size([1, 2, 3], {1: 10, 2: 500, 3: 10}, limit=100) == [[1], [2], [3]]
    assert by_size([1, 2, 3], {1: 10, 2: 20, 3: 500}, limit=100) == [[1, 2], [3]]

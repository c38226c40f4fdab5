"""The lifecycle table."""

from intake.requests.states import OPEN, TRANSITIONS, Status, can_move


def test_every_status_has_a_row_and_targets_are_statuses():
    assert set(TRANSITIONS) == set(Status)
    for targets in TRANSITIONS.values():
        assert targets <= set(Status)


def test_finished_work_only_reopens_and_declined_only_requotes():
    assert TRANSITIONS[Status.DONE] == {Status.IN_PROGRESS}
    assert not can_move(Status.DECLINED, Status.DONE)
    assert can_move(Status.QUOTED, Status.APPROVED)
    assert Status.DONE not in OPEN and Status.DECLINED not in OPEN


def test_nothing_returns_to_new_except_from_held():
    sources = {s for s, targets in TRANSITIONS.items() if Status.NEW in targets}
    assert sources == {Status.HELD}

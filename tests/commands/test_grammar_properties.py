"""Properties of the staff command grammar over random text, command lists and hours."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from intake.commands.grammar import (
    COMMAND_WORDS,
    SEVERITIES,
    STAFF_STATUSES,
    TYPES,
    Approve,
    Assign,
    Command,
    Decline,
    FileUnder,
    Internal,
    Log,
    Note,
    Quote,
    SetSeverity,
    SetStatus,
    SetType,
    format_command,
    parse_staff_message,
)
from intake.hours import format_hours, parse_hours
from tests.drawn import examples

GRAMMAR = examples(300, deadline=None)
HUNDREDTH = Decimal("0.01")

hours = st.integers(1, 100_000).map(lambda n: Decimal(n) * HUNDREDTH)
dates = st.dates(date(2000, 1, 1), date(2099, 12, 31))
word = st.text("abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=20)
po = word.filter(lambda w: any(c.isdigit() for c in w))
# A note is free text on one line; one whose first word reads as minutes or a date would
# be read as part of the hours or as the date, so it cannot come back the same.
line_text = st.text(
    st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).map(lambda s: " ".join(s.split()))
note = line_text.filter(
    lambda s: not re.match(r"[0-9]+(m|min|mins|minute|minutes)(\s|$)|[0-9]{1,4}[-/.]", s, re.I)
)

once: dict[str, st.SearchStrategy[Command]] = {
    "quote": st.builds(Quote, hours, st.none() | dates),
    "type": st.sampled_from(TYPES).map(SetType),
    "severity": st.sampled_from(SEVERITIES).map(SetSeverity),
    "status": st.sampled_from(STAFF_STATUSES).map(SetStatus),
    "client": word.map(FileUnder),
    "verdict": st.one_of(st.builds(Approve, st.none() | po), st.just(Decline())),
    "internal": st.just(Internal()),
    "assign": word.map(Assign),
}
repeatable = st.one_of(
    st.builds(Log, hours, st.none() | dates, st.just("") | note),
    line_text.filter(bool).map(Note),
)


@st.composite
def command_lists(draw: st.DrawFn) -> list[Command]:
    """Commands with no conflicts: at most one of each single kind, no decline with a
    quote or status, logs and notes anywhere in between."""
    kinds = draw(st.lists(st.sampled_from(sorted(once)), unique=True))
    commands = [draw(once[k]) for k in kinds]
    if any(isinstance(c, Decline) for c in commands):
        commands = [c for c in commands if not isinstance(c, Quote | SetStatus)]
    commands += draw(st.lists(repeatable, max_size=5))
    return draw(st.permutations(commands))


# Prose: any line that does not start (after spaces) with "#", and no code fences.
prose_line = st.text(
    st.characters(blacklist_characters="\r\n", blacklist_categories=("Cs",)), max_size=60
).filter(lambda s: not s.lstrip(" \t\u00a0").startswith(("#", "```", "~~~")))


COMMAND_SHAPED = [f"#{w}" for w in (*COMMAND_WORDS, "qoute", "notes")]
COMMAND_SHAPED += [" ", "\n", "6h", "1:30", "due", "2026-02-30", "PO-1", "x", "99999m"]


@GRAMMAR
@given(st.text())
def test_parsing_never_raises_on_any_text(text: str) -> None:
    message = parse_staff_message(text)
    assert all(e.line >= 1 for e in message.errors)


@GRAMMAR
@given(st.lists(st.sampled_from(COMMAND_SHAPED)))
def test_parsing_never_raises_on_command_shaped_text(parts: list[str]) -> None:
    parse_staff_message(" ".join(parts))


@GRAMMAR
@given(command_lists())
def test_formatted_commands_parse_back_to_the_same_commands(commands: list[Command]) -> None:
    message = parse_staff_message("\n".join(format_command(c) for c in commands))
    assert message.errors == ()
    assert list(message.commands) == commands
    assert message.internal == any(isinstance(c, Internal) for c in commands)


@GRAMMAR
@given(st.lists(prose_line, max_size=12), st.lists(st.tuples(st.integers(0, 12), command_lists())))
def test_lines_not_starting_with_a_hash_are_relayed_unchanged(
    prose: list[str], inserts: list[tuple[int, list[Command]]]
) -> None:
    lines = list(prose)
    for at, commands in inserts:
        lines[at:at] = [format_command(c) for c in commands if not isinstance(c, Internal)]
    message = parse_staff_message("\n".join(lines))
    relayed = message.relay_text.split("\n")
    assert [line for line in relayed if line.strip()] == [line for line in prose if line.strip()]


@GRAMMAR
@given(st.lists(prose_line, max_size=12))
def test_a_reply_without_commands_is_relayed_whole(prose: list[str]) -> None:
    message = parse_staff_message("\n".join(prose))
    assert message.commands == () and message.errors == ()
    kept = [line for line in prose if line.strip()]
    if kept:
        first = prose.index(kept[0])
        last = len(prose) - prose[::-1].index(kept[-1])
        assert message.relay_text == "\n".join(prose[first:last])
    else:
        assert message.relay_text == ""


@GRAMMAR
@given(hours)
def test_decimal_hours_round_trip(value: Decimal) -> None:
    assert parse_hours(format_hours(value)) == value
    assert parse_hours(f"{value}h") == value
    assert parse_hours(f"{value}") == value


@GRAMMAR
@given(st.integers(1, 60_000))
def test_minutes_and_clock_forms_agree_and_round_half_up(minutes: int) -> None:
    whole, rest = divmod(minutes, 60)
    expected = (Decimal(minutes) / 60).quantize(HUNDREDTH, rounding="ROUND_HALF_UP")
    assert parse_hours(f"{minutes}m") == expected
    assert parse_hours(f"{whole}:{rest:02d}") == expected
    if whole:
        assert parse_hours(f"{whole}h{rest}m") == expected
        assert parse_hours(f"{whole}h {rest:02d}m") == expected


@GRAMMAR
@given(st.integers(1, 1000))
def test_whole_hours_read_the_same_in_every_form(whole: int) -> None:
    forms = [f"{whole}h", f"{whole}", f"{whole * 60}m", f"{whole}:00", f"{whole}h0m"]
    assert {parse_hours(form) for form in forms} == {Decimal(whole)}

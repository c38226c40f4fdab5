"""Hours, read and written in one place: as staff write them (``1.5h``, ``90m``, ``1:30``,
``2h30m``) read into Decimal, and shown back as the shortest figure that reads the same.

Decimal hours take at most two decimals (more is an error, never silently rounded);
minute forms are converted exactly and rounded half-up to the hundredth, as hours are
stored (``0:20`` and ``20m`` are ``0.33``). Hours must be more than 0 and at most 1000.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal

HUNDREDTH = Decimal("0.01")
MAX_HOURS = Decimal("1000")
HOURS_EXAMPLE = "1.5h, 90m or 1:30"

_UNIT_H = r"(?:h|hr|hrs|hour|hours)"
_UNIT_M = r"(?:m|min|mins|minute|minutes)"
_DECIMAL_HOURS = re.compile(rf"(?P<h>[0-9]+(?:\.[0-9]*)?|\.[0-9]+){_UNIT_H}?", re.ASCII)
_MINUTES = re.compile(rf"(?P<m>[0-9]+){_UNIT_M}", re.ASCII)
_HOURS_MINUTES = re.compile(rf"(?P<h>[0-9]+){_UNIT_H}(?P<m>[0-9]+){_UNIT_M}?", re.ASCII)
_CLOCK = re.compile(r"(?P<h>[0-9]+):(?P<m>[0-9]{2})", re.ASCII)
_WHOLE_HOURS = re.compile(rf"[0-9]+{_UNIT_H}", re.ASCII | re.IGNORECASE)
_MINUTES_TOKEN = re.compile(rf"[0-9]+{_UNIT_M}", re.ASCII | re.IGNORECASE)
# A figure and its unit written as two words: "90 min", "1.5 hours".
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
_UNIT_WORD = re.compile(rf"{_UNIT_H}|{_UNIT_M}", re.ASCII | re.IGNORECASE)
_MINUTES_WORD = re.compile(_UNIT_M, re.ASCII | re.IGNORECASE)


def leading_hours(text: str) -> tuple[str, str]:
    """The words at the start of ``text`` that write hours, joined (``"90 min"`` ->
    ``"90min"``, ``"2 hours 30 minutes"`` -> ``"2hours30minutes"``), and what follows them.
    The first word is taken whatever it is; ``parse_hours`` says whether it is hours."""
    token, after = _word(text)
    following, after_that = _word(after)
    if _NUMBER.fullmatch(token) and _UNIT_WORD.fullmatch(following):
        token, after = token + following, after_that  # "90 min", "1.5 hours"
        following, after_that = _word(after)
    if _WHOLE_HOURS.fullmatch(token):
        if _MINUTES_TOKEN.fullmatch(following):
            token, after = token + following, after_that  # "2h 30m"
        else:
            unit, after_unit = _word(after_that)
            if following.isascii() and following.isdigit() and _MINUTES_WORD.fullmatch(unit):
                token, after = token + following + unit, after_unit  # "2 hours 30 minutes"
    return token, after


def _word(text: str) -> tuple[str, str]:
    """The first word and what follows it, stripped."""
    parts = text.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], (parts[1].strip() if len(parts) > 1 else "")


def parse_hours(text: str) -> Decimal:
    """Hours written as ``1.5h``, ``1.5``, ``90m``, ``1:30`` or ``2h30m``, to the hundredth.

    Raises ``ValueError`` whose message says what was wrong.
    """
    compact = "".join(text.split()).lower()
    if match := _DECIMAL_HOURS.fullmatch(compact):
        written = match["h"]
        if "." in written and len(written.partition(".")[2]) > 2:
            raise ValueError(f"hours take at most two decimals, not {text.strip()!r}")
        hours = Decimal(written)
    elif match := _MINUTES.fullmatch(compact):
        hours = _from_minutes(Decimal(0), Decimal(match["m"]))
    elif match := _HOURS_MINUTES.fullmatch(compact) or _CLOCK.fullmatch(compact):
        minutes = Decimal(match["m"])
        if minutes >= 60:
            raise ValueError(f"minutes must be under 60, not {text.strip()!r}")
        hours = _from_minutes(Decimal(match["h"]), minutes)
    else:
        raise ValueError(f"{text.strip()!r} is not hours; write {HOURS_EXAMPLE}")
    if hours > MAX_HOURS:
        raise ValueError(f"hours must be at most {MAX_HOURS}, not {text.strip()!r}")
    hours = hours.quantize(HUNDREDTH, rounding=ROUND_HALF_UP)
    if hours <= 0:
        raise ValueError("hours must be more than 0")
    return hours


def _from_minutes(hours: Decimal, minutes: Decimal) -> Decimal:
    total = hours * 60 + minutes
    # Checked before dividing, so a huge figure is never rounded into range.
    return total / 60 if total <= MAX_HOURS * 60 else MAX_HOURS + 1


def hours_figure(hours: Decimal | int | str) -> str:
    """``Decimal("1.50")`` -> ``"1.5"``, ``Decimal("100.00")`` -> ``"100"``: the figure alone,
    as tables, emails and machine-readable output show it."""
    return format(Decimal(str(hours)).normalize(), "f")


def format_hours(hours: Decimal) -> str:
    """``Decimal("1.50")`` -> ``"1.5h"``: the shortest form ``parse_hours`` reads back."""
    return f"{hours_figure(hours)}h"

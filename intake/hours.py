"""Hours as staff write them (``1.5h``, ``90m``, ``1:30``, ``2h30m``) read into Decimal.

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
WHOLE_HOURS = re.compile(rf"[0-9]+{_UNIT_H}", re.ASCII | re.IGNORECASE)
MINUTES_TOKEN = re.compile(rf"[0-9]+{_UNIT_M}", re.ASCII | re.IGNORECASE)
# A figure and its unit written as two words: "90 min", "1.5 hours".
NUMBER = re.compile(r"[0-9]+(?:\.[0-9]*)?|\.[0-9]+", re.ASCII)
UNIT_WORD = re.compile(rf"{_UNIT_H}|{_UNIT_M}", re.ASCII | re.IGNORECASE)
MINUTES_WORD = re.compile(_UNIT_M, re.ASCII | re.IGNORECASE)


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


def format_hours(hours: Decimal) -> str:
    """``Decimal("1.50")`` -> ``"1.5h"``: the shortest form ``parse_hours`` reads back."""
    return f"{hours.normalize():f}h"

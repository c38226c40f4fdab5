"""The staff command grammar: a staff reply's ``#command`` lines read into values. Pure.

A command is a line that starts, after optional spaces, with ``#`` and a known word
(case-insensitive). Every other line is relayed to the client. A line that starts with
``#word`` close to a command (``#qoute 6h``) is an error with a suggestion; any other
``#word`` (``#slack is where we talk``, ``#42``) is prose. Quoted lines (``>``) and lines
inside code fences (``` or ~~~) are never commands. When ``errors`` is not empty the
caller applies nothing: a message is taken whole or not at all.

Hours: ``1.5h``, ``1.5``, ``90m``, ``1:30``, ``2h30m`` (or ``2h 30m`` inside a command).
Decimal hours take at most two decimals (more is an error, never silently rounded);
minute forms are converted exactly and rounded half-up to the hundredth, as hours are
stored (``0:20`` and ``20m`` are ``0.33``). Hours must be more than 0 and at most 1000.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from intake.errors import IntakeError
from intake.hours import HOURS_EXAMPLE, format_hours, leading_hours, parse_hours
from intake.mail.headers import MAX_ADDRESS
from intake.requests.states import RequestType, Severity, Status

MAX_NAME = 64  # PO numbers and client slugs, as stored
TYPES = tuple(sorted(t.value for t in RequestType))
SEVERITIES = tuple(sorted(s.value for s in Severity))
STAFF_STATUSES = tuple(
    sorted(s.value for s in (Status.IN_PROGRESS, Status.WAITING_ON_CLIENT, Status.DONE))
)


@dataclass(frozen=True)
class Quote:
    hours: Decimal
    due: date | None


@dataclass(frozen=True)
class SetType:
    value: str


@dataclass(frozen=True)
class SetSeverity:
    value: str


@dataclass(frozen=True)
class Approve:
    po: str | None


@dataclass(frozen=True)
class Decline:
    pass


@dataclass(frozen=True)
class Log:
    hours: Decimal
    work_date: date | None
    note: str
    days_ago: int = 0  # with no work_date: 0 today, 1 yesterday (the staff member's days)


@dataclass(frozen=True)
class SetStatus:
    value: str


@dataclass(frozen=True)
class Note:
    text: str


@dataclass(frozen=True)
class FileUnder:
    client: str


@dataclass(frozen=True)
class Internal:
    pass


@dataclass(frozen=True)
class Spam:
    pass


@dataclass(frozen=True)
class Send:
    """Send the suggested quote of a request in review as it is."""


@dataclass(frozen=True)
class Open:
    client: str
    subject: str  # "" for the email's own subject


@dataclass(frozen=True)
class Assign:
    who: str  # "me", "nobody", or a staff member's address, name or address's local part


@dataclass(frozen=True)
class CheckinDone:
    """The client's check-in was held: on ``held_on``, or ``days_ago`` days before the day
    the reply was written (0 when no day is given)."""

    held_on: date | None
    days_ago: int = 0


Command = (
    Quote
    | SetType
    | SetSeverity
    | Approve
    | Decline
    | Log
    | SetStatus
    | Note
    | FileUnder
    | Internal
    | Assign
    | Spam
    | Send
    | Open
    | CheckinDone
)


@dataclass(frozen=True)
class CommandError:
    line: int  # 1-based, in the text given
    text: str  # the offending line, stripped
    reason: str  # short, for a person: what was wrong and what is expected


@dataclass(frozen=True)
class StaffMessage:
    commands: tuple[Command, ...]  # in the order written
    errors: tuple[CommandError, ...]  # by line
    relay_text: str  # the rest, without leading/trailing blank lines; "" when internal
    internal: bool


# ---- hours -------------------------------------------------------------------------------


class _Bad(IntakeError):
    """A command line that cannot be read; the message is the reason shown to staff in the
    receipt. Caught where the lines are read, so it never leaves this module."""


def _take(rest: str) -> tuple[str, str]:
    """The first word and what follows it, stripped."""
    parts = rest.split(None, 1)
    if not parts:
        return "", ""
    return parts[0], (parts[1].strip() if len(parts) > 1 else "")


def _take_hours(name: str, rest: str) -> tuple[Decimal, str]:
    token, after = leading_hours(rest)
    if not token:
        raise _Bad(f"#{name} needs hours such as {HOURS_EXAMPLE}")
    if not any(c in "0123456789" for c in token):
        raise _Bad(f"#{name} needs hours such as {HOURS_EXAMPLE}, not {token!r}")
    try:
        return parse_hours(token), after
    except ValueError as error:
        raise _Bad(f"#{name}: {error}") from None


_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
# What a person writes meaning a date: read as one (and refused if not ISO), never as a note.
_DATE_LIKE = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{4}/[0-9]{1,2}/[0-9]{1,2}"
    r"|[0-9]{1,2}/[0-9]{1,2}/[0-9]{2,4}|[0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}",
    re.ASCII,
)


def _parse_date(label: str, token: str) -> date:
    if _ISO_DATE.fullmatch(token):
        try:
            return date.fromisoformat(token)
        except ValueError:
            pass
    raise _Bad(f"#{label}: {token!r} is not a date; write YYYY-MM-DD")


def _quote(rest: str) -> Quote:
    hours, rest = _take_hours("quote", rest)
    if not rest:
        return Quote(hours, None)
    word, after = _take(rest)
    if word.lower() != "due":
        raise _Bad(f"#quote takes hours and an optional 'due YYYY-MM-DD', not {rest!r}")
    token, after = _take(after)
    if not token:
        raise _Bad("#quote due needs a date such as 2026-12-05")
    due = _parse_date("quote due", token)
    if after:
        raise _Bad(f"#quote takes hours and an optional 'due YYYY-MM-DD', not {after!r}")
    return Quote(hours, due)


_RELATIVE_DAYS = {"today": 0, "yesterday": 1}
# Dates in other shapes ("30 Nov", "Nov 30", "11/30", "30.11."): refused, never logged
# as today with the date left in the note.
_DAY = re.compile(r"[0-9]{1,2}(?:st|nd|rd|th)?,?", re.ASCII | re.IGNORECASE)
_MONTH = re.compile(
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t|tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?,?",
    re.ASCII | re.IGNORECASE,
)
_SHORT_DATE = re.compile(r"[0-9]{1,2}/[0-9]{1,2}|[0-9]{1,2}\.[0-9]{1,2}\.?", re.ASCII)


def _log(rest: str) -> Log:
    hours, rest = _take_hours("log", rest)
    token, after = _take(rest)
    if _DATE_LIKE.fullmatch(token):
        return Log(hours, _parse_date("log", token), after)
    word = token.lower().rstrip(",:")
    if word in _RELATIVE_DAYS:
        return Log(hours, None, after, days_ago=_RELATIVE_DAYS[word])
    following = _take(after)[0]
    if (
        _SHORT_DATE.fullmatch(token)
        or (_DAY.fullmatch(token) and _MONTH.fullmatch(following))
        or (_MONTH.fullmatch(token) and _DAY.fullmatch(following))
    ):
        shown = token if _SHORT_DATE.fullmatch(token) else f"{token} {following}"
        raise _Bad(f"#log: {shown!r} is not a date; write YYYY-MM-DD or yesterday")
    return Log(hours, None, rest)


def _choice(name: str, choices: tuple[str, ...], rest: str) -> str:
    if not rest:
        raise _Bad(f"#{name} needs {'|'.join(choices)}")
    value = "_".join(rest.lower().rstrip(".!;,").replace("-", " ").replace("_", " ").split())
    if value not in choices:
        raise _Bad(f"#{name} {'|'.join(choices)}, not {rest!r}")
    return value


def _approve(rest: str) -> Approve:
    if not rest:
        return Approve(None)
    token, after = _take(rest)
    # A PO number has a digit: "#approve thanks" must not record "thanks" as one.
    if after or len(token) > MAX_NAME or not any(c in "0123456789" for c in token):
        raise _Bad(f"#approve takes one PO number such as PO-4471, not {rest!r}")
    return Approve(token)


def _client(rest: str) -> FileUnder:
    if not rest:
        raise _Bad("#client needs a client slug such as acme")
    token, after = _take(rest)
    if after or len(token) > MAX_NAME:
        raise _Bad(f"#client takes one client slug such as acme, not {rest!r}")
    return FileUnder(token)


def _assign(rest: str) -> Assign:
    token, after = _take(rest)
    if not token or after or len(token) > MAX_ADDRESS:
        raise _Bad("#assign takes one staff member: #assign me, #assign dana or #assign nobody")
    return Assign(token.lower())


def _open(rest: str) -> Open:
    token, subject = _take(rest)
    if not token or len(token) > MAX_NAME:
        raise _Bad("#open needs a client slug such as acme, and may give a subject after it")
    return Open(token, subject)


def _checkin(rest: str) -> CheckinDone:
    word, after = _take(rest)
    if word.lower() != "done":
        raise _Bad("#checkin takes 'done' and an optional day: #checkin done [YYYY-MM-DD]")
    token = after.strip()
    if not token:
        return CheckinDone(None)
    if token.lower() in _RELATIVE_DAYS:
        return CheckinDone(None, _RELATIVE_DAYS[token.lower()])
    return CheckinDone(_parse_date("checkin done", token))


def _note(rest: str) -> Note:
    if not rest:
        raise _Bad("#note needs the text of the note")
    return Note(rest)


def _bare(name: str, command: Decline | Internal | Spam | Send) -> Callable[[str], Command]:
    def parse(rest: str) -> Command:
        if rest:
            raise _Bad(f"#{name} takes nothing after it, not {rest!r}")
        return command

    return parse


# The grammar: each command word and the reader of what follows it on its line.
_READERS: dict[str, Callable[[str], Command]] = {
    "quote": _quote,
    "type": lambda rest: SetType(_choice("type", TYPES, rest)),
    "severity": lambda rest: SetSeverity(_choice("severity", SEVERITIES, rest)),
    "approve": _approve,
    "decline": _bare("decline", Decline()),
    "log": _log,
    "status": lambda rest: SetStatus(_choice("status", STAFF_STATUSES, rest)),
    "note": _note,
    "client": _client,
    "internal": _bare("internal", Internal()),
    "assign": _assign,
    "spam": _bare("spam", Spam()),
    "send": _bare("send", Send()),
    "open": _open,
    "checkin": _checkin,
}
COMMAND_WORDS = tuple(_READERS)
_LISTED = tuple(f"#{word}" for word in COMMAND_WORDS)

# Words staff reach for that are not commands, and what they meant.
_MEANT = {
    "done": "#status done",
    "close": "#status done",
    "closed": "#status done",
    "estimate": "#quote",
    "sev": "#severity",
    "private": "#internal",
    "owner": "#assign",
    "take": "#assign me",
}


def format_command(command: Command) -> str:
    """The line that parses back to ``command``: for confirmations and error replies."""
    match command:
        case Quote(hours, due):
            return f"#quote {format_hours(hours)}" + (f" due {due.isoformat()}" if due else "")
        case Log(hours, work_date, note, days_ago):
            when = work_date.isoformat() if work_date else ("yesterday" if days_ago else "")
            parts = ["#log", format_hours(hours), when, note]
            return " ".join(p for p in parts if p)
        case SetType(value):
            return f"#type {value}"
        case SetSeverity(value):
            return f"#severity {value}"
        case SetStatus(value):
            return f"#status {value}"
        case Approve(po):
            return f"#approve {po}" if po else "#approve"
        case Note(text):
            return f"#note {text}"
        case FileUnder(client):
            return f"#client {client}"
        case Decline():
            return "#decline"
        case Internal():
            return "#internal"
        case Assign(who):
            return f"#assign {who}"
        case Spam():
            return "#spam"
        case Send():
            return "#send"
        case Open(client, subject):
            return f"#open {client} {subject}".rstrip()
        case CheckinDone(held_on, days_ago):
            when = held_on.isoformat() if held_on else ("yesterday" if days_ago else "")
            return f"#checkin done {when}".rstrip()
    raise TypeError(f"not a command: {command!r}")


# ---- a whole message ---------------------------------------------------------------------

# A byte-order mark an editor wrote before the first line is not part of what staff typed.
_COMMAND_LINE = re.compile(r"[ \t\u00a0\ufeff]*#(?P<word>\S+)(?P<rest>.*)")
_FENCE = re.compile(r"[ \t\u00a0\ufeff]*(?:```|~~~)")
_WORD_PREFIX = re.compile(r"[a-z]+(?![a-z_-])")
# At most one of each per message (a repeat is dropped), and never one with its rivals.
_ONCE = frozenset(
    {
        Quote,
        SetType,
        SetSeverity,
        SetStatus,
        Approve,
        FileUnder,
        Decline,
        Internal,
        Assign,
        Spam,
        Send,
        Open,
        CheckinDone,
    }
)
_RIVALS: dict[type, tuple[type, ...]] = {
    Approve: (Decline, Spam),
    Quote: (Decline, Spam, Send),
    SetStatus: (Decline, Spam),
    FileUnder: (Spam, Open, Send),
    Open: (Spam, FileUnder, Decline, Send),
    Decline: (Approve, Quote, SetStatus, Spam, Open, Send),
    Spam: (Approve, Quote, SetStatus, FileUnder, Decline, Open, Send),
    Send: (Quote, Decline, Spam, FileUnder, Open, Internal),
    Internal: (Send,),
}


def parse_staff_message(text: str) -> StaffMessage:
    """Read the commands in a staff reply and what is left to relay. Never raises."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    found: list[tuple[int, Command]] = []
    errors: list[CommandError] = []
    kept: list[str] = []
    in_fence = squeeze = False
    for number, line in enumerate(lines, 1):
        match = None if in_fence else _COMMAND_LINE.fullmatch(line)
        word = match["word"] if match else ""
        name = word.lower().removesuffix(":")
        if name in _READERS:
            try:
                found.append((number, _READERS[name](match["rest"].strip() if match else "")))
            except _Bad as bad:
                errors.append(CommandError(number, line.strip(), str(bad)))
        elif match and (meant := _suggest(name)):
            reason = f"unknown command #{word}; did you mean {meant}?"
            errors.append(CommandError(number, line.strip(), reason))
        elif match and name[:1].isalpha():
            # Never relayed as prose: a line staff began with "#word" was meant for intake.
            reason = f"#{word} is no command; the commands are {', '.join(_LISTED)}"
            errors.append(CommandError(number, line.strip(), reason))
        else:
            if _FENCE.match(line):
                in_fence = not in_fence
            if not (squeeze and not line.strip()):
                kept.append(line)
                squeeze = False
            continue
        # A command line leaves; so do the blank lines after it when one comes before it.
        squeeze = bool(kept) and not kept[-1].strip()
    commands = _without_conflicts(found, lines, errors)
    internal = any(isinstance(c, Internal) for c in commands)
    return StaffMessage(
        commands=commands,
        errors=tuple(sorted(errors, key=lambda e: e.line)),
        relay_text="" if internal else _trim_blank_lines(kept),
        internal=internal,
    )


def _suggest(name: str) -> str | None:
    """The command a ``#word`` line probably meant, or None when it is just prose."""
    if not name[:1].isascii() or not name[:1].isalpha():
        return None
    if name in _MEANT:
        return _MEANT[name]
    prefix = _WORD_PREFIX.match(name)  # "#quote6h"
    if prefix and prefix.group() in _READERS:
        return f"#{prefix.group()}"
    close = difflib.get_close_matches(name, COMMAND_WORDS, n=1, cutoff=0.75)
    return f"#{close[0]}" if close else None


def _without_conflicts(
    found: list[tuple[int, Command]], lines: list[str], errors: list[CommandError]
) -> tuple[Command, ...]:
    seen: dict[type, tuple[int, Command]] = {}
    commands: list[Command] = []
    for number, command in found:
        kind = type(command)
        if kind in _ONCE:
            if kind in seen and seen[kind][1] == command:
                continue
            clash = next((seen[k] for k in (kind, *_RIVALS.get(kind, ())) if k in seen), None)
            if clash:
                reason = f"{format_command(command)} conflicts with {format_command(clash[1])}"
                errors.append(
                    CommandError(number, lines[number - 1].strip(), f"{reason} on line {clash[0]}")
                )
                continue
            seen[kind] = (number, command)
        commands.append(command)
    return tuple(commands)


def _trim_blank_lines(lines: list[str]) -> str:
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    return "\n".join(lines[start:end])

"""The staff command grammar: each command, each error a staff member can get, the relay text."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from intake.commands.grammar import (
    Approve,
    Assign,
    CheckinDone,
    CommandError,
    Decline,
    FileUnder,
    Internal,
    Log,
    Note,
    Quote,
    Send,
    SetSeverity,
    SetStatus,
    SetType,
    Spam,
    format_command,
    parse_staff_message,
)
from intake.hours import format_hours, hours_figure, parse_hours
from intake.outbox.templates import hours


def only_command(text: str) -> object:
    message = parse_staff_message(text)
    assert message.errors == ()
    assert len(message.commands) == 1
    return message.commands[0]


def only_error(text: str) -> CommandError:
    message = parse_staff_message(text)
    assert len(message.errors) == 1, message.errors
    return message.errors[0]


# ---- every command ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "command"),
    [
        ("#quote 6h", Quote(Decimal("6"), None)),
        ("#quote 6h due 2026-12-05", Quote(Decimal("6"), date(2026, 12, 5))),
        ("#quote 2h 30m", Quote(Decimal("2.5"), None)),
        ("#QUOTE 1:30 DUE 2026-12-05", Quote(Decimal("1.5"), date(2026, 12, 5))),
        ("#quote: 6h", Quote(Decimal("6"), None)),
        ("#type bug", SetType("bug")),
        ("#type Feature", SetType("feature")),
        ("#type security", SetType("security")),
        ("#type question", SetType("question")),
        ("#severity critical", SetSeverity("critical")),
        ("#severity major", SetSeverity("major")),
        ("#Severity MINOR", SetSeverity("minor")),
        ("#approve", Approve(None)),
        ("#approve PO-4471", Approve("PO-4471")),
        ("#decline", Decline()),
        ("#log 1.5h", Log(Decimal("1.5"), None, "")),
        ("#log 90m fixed the login form", Log(Decimal("1.5"), None, "fixed the login form")),
        ("#log 1:30 2026-11-30", Log(Decimal("1.5"), date(2026, 11, 30), "")),
        (
            "#log 2h30m 2026-11-30 call with  Alice",
            Log(Decimal("2.5"), date(2026, 11, 30), "call with  Alice"),
        ),
        ("#log 1h 15m review", Log(Decimal("1.25"), None, "review")),
        # A figure and its unit as two words: never 90 hours with "min" in the note
        ("#log 90 min 2026-11-30 call", Log(Decimal("1.5"), date(2026, 11, 30), "call")),
        ("#log 45 minutes x", Log(Decimal("0.75"), None, "x")),
        ("#log 8 hours 2026-11-02 x", Log(Decimal("8"), date(2026, 11, 2), "x")),
        ("#log 1.5 hrs", Log(Decimal("1.5"), None, "")),
        ("#log 2 hours 30 minutes call", Log(Decimal("2.5"), None, "call")),
        ("#log 2h 30 min call", Log(Decimal("2.5"), None, "call")),
        ("#quote 6 hours", Quote(Decimal("6"), None)),
        ("#log 2h yesterday call", Log(Decimal("2"), None, "call", days_ago=1)),
        ("#log 2h Yesterday, call", Log(Decimal("2"), None, "call", days_ago=1)),
        ("#log 2h today", Log(Decimal("2"), None, "")),
        ("#log 3 calls", Log(Decimal("3"), None, "calls")),
        ("#log 2h marketing 3 pages", Log(Decimal("2"), None, "marketing 3 pages")),
        ("#log 1h 2nd call", Log(Decimal("1"), None, "2nd call")),
        ("#log 2h may need more", Log(Decimal("2"), None, "may need more")),
        ("#status in_progress", SetStatus("in_progress")),
        ("#status waiting_on_client", SetStatus("waiting_on_client")),
        ("#status waiting on client", SetStatus("waiting_on_client")),
        ("#status in-progress", SetStatus("in_progress")),
        ("#status done", SetStatus("done")),
        ("#status Done.", SetStatus("done")),
        ("#note client prefers calls after 3pm", Note("client prefers calls after 3pm")),
        ("#client acme", FileUnder("acme")),
        ("#internal", Internal()),
        ("#checkin done", CheckinDone(None)),
        ("#checkin done 2026-12-03", CheckinDone(date(2026, 12, 3))),
        ("#Checkin DONE yesterday", CheckinDone(None, days_ago=1)),
        ("   #type bug", SetType("bug")),
        ("\t#type bug   ", SetType("bug")),
    ],
)
def test_each_command_line_reads_as_its_command(line: str, command: object) -> None:
    assert only_command(line) == command


def test_commands_keep_the_order_they_were_written_in() -> None:
    message = parse_staff_message("#log 1h\n#type bug\n#note checked\n#log 2h\n#severity major")
    assert message.commands == (
        Log(Decimal("1"), None, ""),
        SetType("bug"),
        Note("checked"),
        Log(Decimal("2"), None, ""),
        SetSeverity("major"),
    )


def test_internal_keeps_the_other_commands_and_relays_nothing() -> None:
    message = parse_staff_message("Alice called, all fine.\n#internal\n#log 0:20 phone call")
    assert message.internal is True
    assert message.relay_text == ""
    assert message.commands == (Internal(), Log(Decimal("0.33"), None, "phone call"))


# ---- every error ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("#qoute 6h", "unknown command #qoute; did you mean #quote?"),
        ("#Apporve", "unknown command #Apporve; did you mean #approve?"),
        ("#quote6h", "unknown command #quote6h; did you mean #quote?"),
        ("#notes call Alice", "unknown command #notes; did you mean #note?"),
        ("#done", "unknown command #done; did you mean #status done?"),
        ("#estimate 4h", "unknown command #estimate; did you mean #quote?"),
        ("#quote", "#quote needs hours such as 1.5h, 90m or 1:30"),
        ("#quote six hours", "#quote needs hours such as 1.5h, 90m or 1:30, not 'six'"),
        ("#quote 0h", "#quote: hours must be more than 0"),
        ("#quote 1001h", "#quote: hours must be at most 1000, not '1001h'"),
        ("#quote 1.333h", "#quote: hours take at most two decimals, not '1.333h'"),
        ("#quote 1:75", "#quote: minutes must be under 60, not '1:75'"),
        (
            "#quote 6h by friday",
            "#quote takes hours and an optional 'due YYYY-MM-DD', not 'by friday'",
        ),
        ("#quote 6h due", "#quote due needs a date such as 2026-12-05"),
        ("#quote 6h due 2026-02-30", "#quote due: '2026-02-30' is not a date; write YYYY-MM-DD"),
        ("#quote 6h due 5/12/2026", "#quote due: '5/12/2026' is not a date; write YYYY-MM-DD"),
        (
            "#quote 6h due 2026-12-05 please",
            "#quote takes hours and an optional 'due YYYY-MM-DD', not 'please'",
        ),
        ("#type", "#type needs bug|feature|question|security"),
        ("#type enhancement", "#type bug|feature|question|security, not 'enhancement'"),
        ("#severity", "#severity needs critical|major|minor"),
        ("#severity urgent", "#severity critical|major|minor, not 'urgent'"),
        (
            "#approve thanks, go ahead",
            "#approve takes one PO number such as PO-4471, not 'thanks, go ahead'",
        ),
        ("#approve thanks", "#approve takes one PO number such as PO-4471, not 'thanks'"),
        (
            "#approve PO-" + "9" * 70,
            f"#approve takes one PO number such as PO-4471, not 'PO-{'9' * 70}'",
        ),
        ("#decline too dear", "#decline takes nothing after it, not 'too dear'"),
        ("#log", "#log needs hours such as 1.5h, 90m or 1:30"),
        ("#log fixed it", "#log needs hours such as 1.5h, 90m or 1:30, not 'fixed'"),
        ("#log -1h", "#log: '-1h' is not hours; write 1.5h, 90m or 1:30"),
        ("#log 0:00", "#log: hours must be more than 0"),
        ("#log 2h 2026-13-01 note", "#log: '2026-13-01' is not a date; write YYYY-MM-DD"),
        ("#log 2h 30/11/2026 note", "#log: '30/11/2026' is not a date; write YYYY-MM-DD"),
        ("#log 2h 2026-1-5", "#log: '2026-1-5' is not a date; write YYYY-MM-DD"),
        # Dates in other shapes: refused, never logged for today with the date in the note
        ("#log 2h 30 Nov call", "#log: '30 Nov' is not a date; write YYYY-MM-DD or yesterday"),
        ("#log 2h Nov 30 x", "#log: 'Nov 30' is not a date; write YYYY-MM-DD or yesterday"),
        (
            "#log 3h December 1st review",
            "#log: 'December 1st' is not a date; write YYYY-MM-DD or yesterday",
        ),
        ("#log 2h 11/30 x", "#log: '11/30' is not a date; write YYYY-MM-DD or yesterday"),
        ("#log 2h 30.11. x", "#log: '30.11.' is not a date; write YYYY-MM-DD or yesterday"),
        ("#status", "#status needs done|in_progress|waiting_on_client"),
        ("#status finished", "#status done|in_progress|waiting_on_client, not 'finished'"),
        ("#status declined", "#status done|in_progress|waiting_on_client, not 'declined'"),
        ("#note", "#note needs the text of the note"),
        ("#client", "#client needs a client slug such as acme"),
        ("#client Acme Ltd", "#client takes one client slug such as acme, not 'Acme Ltd'"),
        ("#internal please", "#internal takes nothing after it, not 'please'"),
    ],
)
def test_each_bad_line_gets_a_reason_a_person_can_act_on(line: str, reason: str) -> None:
    error = only_error(f"Hello,\n{line}\nThanks")
    assert error == CommandError(line=2, text=line.strip(), reason=reason)


@pytest.mark.parametrize(
    ("text", "line", "reason"),
    [
        ("#type bug\n#type feature", 2, "#type feature conflicts with #type bug on line 1"),
        ("#quote 6h\n\n#quote 8h", 3, "#quote 8h conflicts with #quote 6h on line 1"),
        ("#approve PO-1\n#decline", 2, "#decline conflicts with #approve PO-1 on line 1"),
        ("#decline\n#approve", 2, "#approve conflicts with #decline on line 1"),
        ("#decline\n#quote 2h", 2, "#quote 2h conflicts with #decline on line 1"),
        ("#status done\n#decline", 2, "#decline conflicts with #status done on line 1"),
        ("#client acme\n#client globex", 2, "#client globex conflicts with #client acme on line 1"),
        (
            "#severity minor\n#severity major",
            2,
            "#severity major conflicts with #severity minor on line 1",
        ),
        ("#approve PO-1\n#approve PO-2", 2, "#approve PO-2 conflicts with #approve PO-1 on line 1"),
    ],
)
def test_conflicting_commands_in_one_message_are_errors(text: str, line: int, reason: str) -> None:
    error = only_error(text)
    assert (error.line, error.reason) == (line, reason)
    assert error.text == text.split("\n")[line - 1]


def test_a_repeated_identical_command_is_taken_once_but_logs_and_notes_add_up() -> None:
    message = parse_staff_message("#type bug\n#TYPE bug\n#log 1h\n#log 1h\n#note a\n#note a")
    assert message.errors == ()
    assert message.commands == (
        SetType("bug"),
        Log(Decimal("1"), None, ""),
        Log(Decimal("1"), None, ""),
        Note("a"),
        Note("a"),
    )


def test_quote_and_approve_together_are_not_a_conflict() -> None:
    message = parse_staff_message("#quote 4h\n#approve PO-9\n#status in_progress")
    assert message.errors == ()
    assert len(message.commands) == 3


def test_good_and_bad_lines_mixed_report_every_error_by_line() -> None:
    text = "#qoute 6h\nHi Alice,\n#type bug\n#severity huge\n#log\nBest,\nDana"
    message = parse_staff_message(text)
    assert [(e.line, e.text) for e in message.errors] == [
        (1, "#qoute 6h"),
        (4, "#severity huge"),
        (5, "#log"),
    ]
    assert message.commands == (SetType("bug"),)
    assert message.relay_text == "Hi Alice,\nBest,\nDana"


# ---- prose is not commands --------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "See issue #42 for the details.",
        "We use #slack for quick questions.",
        "#42 is fixed",
        "# Steps to reproduce",
        "## Heading",
        "##quote 6h",
        "a line with #quote 6h in the middle",
        "> #quote 6h",
        ">> #type bug",
        "#",
        "#!/bin/sh",
    ],
)
def test_hashes_in_prose_and_quoted_lines_are_relayed_untouched(text: str) -> None:
    message = parse_staff_message(text)
    assert message.commands == () and message.errors == ()
    assert message.relay_text == text


@pytest.mark.parametrize(
    "line",
    ["#todo dana", "#slack is where we chat", "#hashtag", "#include <stdio.h>", "  #Later"],
)
def test_a_line_that_starts_with_a_hash_word_and_is_no_command_is_an_error(line: str) -> None:
    # Staff began the line with "#word": meant for intake, so it is never relayed as prose,
    # and the error stops the whole reply (see commands.service).
    message = parse_staff_message(f"#status done\n{line}\nThanks, fixed now.")
    [error] = message.errors
    assert error.line == 2 and error.text == line.strip()
    assert "is no command" in error.reason and "#quote" in error.reason


def test_a_command_after_a_byte_order_mark_is_still_a_command() -> None:
    # Given a staff reply that starts with a byte-order mark its editor wrote
    message = parse_staff_message("\ufeff#note internal: client is late paying\nHi Alice")
    # Then the first line is read as the command and is not relayed to the client
    assert message.commands == (Note("internal: client is late paying"),)
    assert message.relay_text == "Hi Alice"


def test_lines_in_a_code_fence_are_never_commands() -> None:
    text = "Try this:\n```\n#define DECLINE 1\n#quote 6h\n```\n#type bug"
    message = parse_staff_message(text)
    assert message.errors == ()
    assert message.commands == (SetType("bug"),)
    assert message.relay_text == "Try this:\n```\n#define DECLINE 1\n#quote 6h\n```"


# ---- relay text -------------------------------------------------------------------------


def test_relay_text_is_the_reply_without_command_lines_or_edge_blank_lines() -> None:
    text = "\n#quote 6h\n\nHi Alice,\n\n#type feature\n\nWe can do this by Friday.  \n\n#log 1h\n\n"
    message = parse_staff_message(text)
    assert message.relay_text == "Hi Alice,\n\nWe can do this by Friday.  "
    assert message.internal is False


def test_a_command_between_paragraphs_leaves_one_blank_line_not_two() -> None:
    message = parse_staff_message("Hi,\n\n#type bug\n\nThanks")
    assert message.relay_text == "Hi,\n\nThanks"


def test_the_staff_members_own_blank_lines_are_kept() -> None:
    text = "Hi,\n\n\nThanks\n#type bug\nDana"
    assert parse_staff_message(text).relay_text == "Hi,\n\n\nThanks\nDana"


def test_windows_and_old_mac_line_endings_count_lines_the_same() -> None:
    message = parse_staff_message("Hi\r\n#qoute 1h\rBye")
    assert message.errors[0].line == 2
    assert message.relay_text == "Hi\nBye"


def test_a_message_of_commands_only_relays_nothing() -> None:
    message = parse_staff_message("#status done\n#log 1h")
    assert message.relay_text == "" and message.internal is False


def test_an_empty_message_is_empty() -> None:
    message = parse_staff_message("")
    assert message.commands == () and message.errors == () and message.relay_text == ""


# ---- hours ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "hours"),
    [
        ("1.5h", "1.5"),
        ("1.5", "1.5"),
        (".5h", "0.5"),
        ("6", "6"),
        ("6H", "6"),
        ("2 hours", "2"),
        ("2hrs", "2"),
        ("90m", "1.5"),
        ("90 min", "1.5"),
        ("1:30", "1.5"),
        ("0:20", "0.33"),
        ("20m", "0.33"),
        ("1m", "0.02"),
        ("0:45", "0.75"),
        ("2h30m", "2.5"),
        ("2h30", "2.5"),
        ("2h 30m", "2.5"),
        ("1000h", "1000"),
        ("0.01h", "0.01"),
    ],
)
def test_parse_hours_reads_every_written_form(text: str, hours: str) -> None:
    assert parse_hours(text) == Decimal(hours)


def test_minutes_round_half_up_to_the_hundredth() -> None:
    # 0:03 is 0.05 exactly; 0:09 is 0.15; 0:01 is 0.01666… -> 0.02; 0:21 is 0.35.
    assert [parse_hours(f"0:{m:02d}") for m in (3, 9, 1, 21)] == [
        Decimal("0.05"),
        Decimal("0.15"),
        Decimal("0.02"),
        Decimal("0.35"),
    ]


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "'' is not hours; write 1.5h, 90m or 1:30"),
        ("abc", "'abc' is not hours; write 1.5h, 90m or 1:30"),
        ("-2h", "'-2h' is not hours; write 1.5h, 90m or 1:30"),
        ("1e2", "'1e2' is not hours; write 1.5h, 90m or 1:30"),
        ("1.5m", "'1.5m' is not hours; write 1.5h, 90m or 1:30"),
        ("1:5", "'1:5' is not hours; write 1.5h, 90m or 1:30"),
        ("١h", "'١h' is not hours; write 1.5h, 90m or 1:30"),
        ("0", "hours must be more than 0"),
        ("0.00h", "hours must be more than 0"),
        ("1000.01", "hours must be at most 1000, not '1000.01'"),
        ("60001m", "hours must be at most 1000, not '60001m'"),
        ("9" * 5000 + "m", f"hours must be at most 1000, not '{'9' * 5000}m'"),
        ("0.001h", "hours take at most two decimals, not '0.001h'"),
        ("1:60", "minutes must be under 60, not '1:60'"),
        ("1h60m", "minutes must be under 60, not '1h60m'"),
    ],
)
def test_parse_hours_refuses_with_a_reason(text: str, reason: str) -> None:
    with pytest.raises(ValueError) as raised:
        parse_hours(text)
    assert str(raised.value) == reason


def test_format_hours_is_the_shortest_form() -> None:
    assert [format_hours(Decimal(h)) for h in ("1.50", "100.00", "0.33", "6")] == [
        "1.5h",
        "100h",
        "0.33h",
        "6h",
    ]


def test_hours_read_back_as_every_screen_shows_them() -> None:
    # The same figure in a receipt, an email, a table and the machine-readable output.
    spent = parse_hours("1:30")
    assert (format_hours(spent), hours(spent), hours_figure(spent)) == ("1.5h", "1.5 h", "1.5")
    assert [hours_figure(h) for h in (Decimal("100.00"), 3, "0.50")] == ["100", "3", "0.5"]


def test_format_command_writes_the_line_staff_would() -> None:
    assert format_command(Quote(Decimal("6.00"), date(2026, 12, 5))) == "#quote 6h due 2026-12-05"
    assert format_command(Log(Decimal("1.5"), date(2026, 11, 30), "call")) == (
        "#log 1.5h 2026-11-30 call"
    )
    assert format_command(Approve(None)) == "#approve"


@pytest.mark.parametrize(
    ("line", "who"),
    [("#assign me", "me"), ("#assign Dana", "dana"), ("#assign nobody", "nobody")],
)
def test_assign_names_one_staff_member(line: str, who: str) -> None:
    assert parse_staff_message(line).commands == (Assign(who),)


@pytest.mark.parametrize("line", ["#assign", "#assign dana and sam"])
def test_assign_without_one_name_is_an_error(line: str) -> None:
    [error] = parse_staff_message(line).errors
    assert "#assign takes one staff member" in error.reason


def test_spam_stands_alone() -> None:
    assert parse_staff_message("#spam").commands == (Spam(),)
    [error] = parse_staff_message("#spam\n#client acme").errors
    assert "#client acme conflicts with #spam" in error.reason


def test_send_takes_nothing_and_never_rides_with_a_new_quote_or_a_decline() -> None:
    assert parse_staff_message("#send\nThanks, Zoe").commands == (Send(),)
    assert format_command(Send()) == "#send"
    [error] = parse_staff_message("#send now").errors
    assert "#send takes nothing after it" in error.reason
    for rival in ("#quote 3h", "#decline"):
        [error] = parse_staff_message(f"#send\n{rival}").errors
        assert "conflicts with #send" in error.reason
    # A correction beside it is fine: the corrected quote is what is sent.
    assert parse_staff_message("#type bug\n#send").commands == (SetType("bug"), Send())

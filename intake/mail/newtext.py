"""The new part of a reply: what the sender wrote above the quoted original, without their
signature. Only this is read for commands and approvals. Pure."""

from __future__ import annotations

import re
from collections.abc import Sequence

from mailparser_reply import EmailReplyParser

# mail-parser-reply knows the attribution lines and Outlook header blocks of many mail clients and
# languages; which part is new, inline replies, forwards and signatures are decided here, because
# it keeps the quote of a bottom-posted reply and cuts at any line that starts "Thanks,".
# Polish is left out: its header pattern accepts a single "Data:" or "Do:" line.
_REPLY_HEADER = (
    EmailReplyParser(
        languages=["en", "de", "fr", "es", "it", "nl", "sv", "da", "cs", "ja", "zh", "ko"]
    )
    .read("")
    .HEADER_REGEX
)
# Attribution lines the library misses: its French pattern gives up when the name contains "le "
# (as "Example Agency" does), its Spanish one wants two spaces before "escribió", and its Dutch one
# wants "schreef:" at the end, where Gmail and Thunderbird write the name after "schreef" and Apple
# Mail writes "heeft ... het volgende geschreven:". Each must open the line, give a date (a year or
# 02/11/26) and then a time, and end it with the verb and a colon, so a sentence that merely has
# these words is never cut. The date is looked ahead for, and only the time and the end have a
# colon, so a match costs one pass over the line.
_WHEN = r"(?=[^:]*(?:\d{4}|\d{1,2}[/.-]\d{1,2}[/.-]\d{2}))[^:]*\d:\d{2}(?::\d{2})?[^:]*"
_ATTRIBUTIONS = (
    # Le lun. 2 nov. 2026 à 10:16, Example Agency <support@agency.example> a écrit :
    re.compile(rf"Le\s{_WHEN}\sa\s+écrit\s*:"),
    # El lun, 2 nov 2026 a las 10:16, Example Agency (<support@agency.example>) escribió:
    re.compile(rf"El\s{_WHEN}\sescribió\s*:"),
    # Op ma 2 nov 2026 om 10:16 schreef Example Agency <support@agency.example>:
    # Op 2 nov. 2026 om 10:16 heeft Example Agency <...> het volgende geschreven:
    re.compile(rf"Op\s{_WHEN}\s(?:schreef(?:\s[^:]*)?|geschreven)\s*:"),
)
_ATTRIBUTION_OPENINGS = ("Le ", "El ", "Op ")
_ATTRIBUTION_LINES = 3  # Gmail wraps a long attribution over two or three lines
_QUOTED = re.compile(r"\s*>")
_FORWARD = re.compile(
    r"-{2,} ?(?:forwarded message|weitergeleitete nachricht|message transf[ée]r[ée]|"
    r"mensaje reenviado|messaggio inoltrato|doorgestuurd bericht) ?-{2,}|"
    r"begin forwarded message:|anfang der weitergeleiteten nachricht:",
    re.IGNORECASE,
)
_OUTLOOK_FORWARD = re.compile(
    r"^\W*(?:subject|betreff|objet|asunto|oggetto|onderwerp)\W*"
    r"(?:fwd?|wg|tr|rv|doorst)\s*:",
    re.IGNORECASE | re.MULTILINE,
)
_SENT_FROM = re.compile(
    r"(?:sent from|sent via|get outlook for|envoyé de mon|von meinem)"
    r"(?: \S+){1,6}",
    re.IGNORECASE,
)
_SIGN_OFF = re.compile(
    r"(?:(?:best|kind|kindest|warm|warmest|many|with) (?:regards|wishes|thanks)|regards|cheers|"
    r"thanks|thank you|thanks again|many thanks|thanks in advance|thx|best|all the best|"
    r"sincerely|yours sincerely|yours truly|yours|br|kr|talk soon|speak soon|"
    r"(?:mit )?(?:freundlichen|vielen|viele|beste|besten|liebe|lieben|herzliche|herzlichen) "
    r"grü(?:ß|ss)en?|grü(?:ß|ss)e|gruß|mfg|lg|vg|(?:bien )?cordialement|bien à vous|"
    r"merci(?: d'avance| beaucoup)?|salutations|saludos|un saludo|cordiali saluti|"
    r"met vriendelijke groet(?:en)?|groeten|hälsningar)[\s,.!]*",
    re.IGNORECASE,
)
_LOWER_WORD = re.compile(r"[a-zà-ÿ'’]+[,;]?")
# Words in names and titles that are written in lower case: "Head of Digital", "Jan de Vries".
_NAME_PARTICLES = frozenset(
    {"of", "and", "for", "at", "the", "to", "in", "on", "&", "de", "du", "des", "la", "le"}
    | {"van", "der", "den", "von", "und", "y", "e", "et", "di", "da", "del", "dos"}
)
# Company and title endings a signature line may close with a full stop: "Acme Ltd."
_ABBREVIATIONS = frozenset(
    {"ltd", "inc", "co", "corp", "llc", "plc", "gmbh", "ag", "bv", "nv", "sa", "sas", "sarl"}
    | {"srl", "ab", "jr", "sr", "dr"}
)
_RULE = re.compile(r"[_\-=*]{8,}")
_MAX_HEADER_SCANS = 100


def new_part_of(text: str) -> str:
    """The part of a reply its sender wrote now: quotes, attributions and signatures removed."""
    lines = text.split("\n")
    probe = [line.strip()[:300] for line in lines]  # short lines keep the patterns linear
    forward = next((i for i, line in enumerate(probe) if _FORWARD.fullmatch(line)), len(lines))
    header = _reply_header(probe, forward)
    if header is not None and header[2] == "forward":
        forward, header = header[0], None
    if header is None:
        kept = _unquoted(lines[:forward])
    else:
        first, last, kind = header
        kept, after = _unquoted(lines[:first]), lines[last + 1 : forward]
        # After "On ... wrote:" a quote is marked with ">", so any unmarked line is an inline or
        # bottom-posted answer; after an Outlook header block the old message is not marked at all.
        if kind == "attribution" and (
            any(_QUOTED.match(line) for line in after) or not "".join(kept).strip()
        ):
            kept += _unquoted(after)
    # When the whole new part reads as a signature ("Thanks,\nAlice" and nothing else), it is all
    # the sender wrote: keep it, but never fall back to the text with its quoted history.
    new = "\n".join(_without_signature(kept)).strip() or "\n".join(kept).strip()
    if forward < len(lines):  # a forward is new to us: keep what was forwarded
        new = (new + "\n\n" + "\n".join(lines[forward:]).strip()).strip()
    if new or header is not None:
        return new
    return text.strip()  # nothing but ">" lines and no attribution: a quote is all there is


def own_words(text: str) -> str:
    """What the sender wrote themselves: the new part of a reply without anything it
    forwards (a forward marker, or an Outlook header block of a forward, and all after).
    Staff commands are read from this alone."""
    new = new_part_of(text)
    lines = new.split("\n")
    probe = [line.strip()[:300] for line in lines]
    cut = next((i for i, line in enumerate(probe) if _FORWARD.fullmatch(line)), len(lines))
    header = _reply_header(probe, cut)
    if header is not None and header[2] == "forward":
        cut = header[0]
    return "\n".join(lines[:cut]).strip()


def _reply_header(probe: list[str], limit: int) -> tuple[int, int, str] | None:
    """First and last line of the first unquoted reply header above `limit`, and its kind."""
    scans = 0
    for line_no, line in enumerate(probe[:limit]):
        # Every header has a colon or is a "-----" separator: scan only around such lines, since
        # the patterns are slow on whole bodies (tens of microseconds a line, per language), and
        # give up after _MAX_HEADER_SCANS of them: a real reply has far fewer before its
        # header, and a hostile body of thousands costs a fraction of a second, not seconds.
        if line.startswith(">") or not (":" in line or "：" in line or line.startswith("---")):
            continue
        scans += 1
        if scans > _MAX_HEADER_SCANS:
            return None
        own = _attribution_around(probe, line_no, limit)
        if own is not None:
            return own[0], own[1], "attribution"
        start = max(0, line_no - 1)
        window = "\n".join(probe[start : line_no + 7])
        for found in _REPLY_HEADER.finditer(window):
            matched = found.group(0)
            begin = found.start() + len(matched) - len(matched.lstrip())
            first = start + window.count("\n", 0, begin)
            last = start + window.count("\n", 0, found.start() + len(matched.rstrip()))
            if first >= limit:
                return None
            block = "\n".join(probe[first : last + 1])
            attribution = block.endswith((":", "：")) and not re.match(
                r"[*\s]*[^\s:]{1,30}\s?:", block
            )
            if probe[first].startswith(">") or (attribution and not re.search(r"\d", block)):
                continue  # a header inside a quote, or "On Monday ... wrote:" prose with no date
            if attribution:
                return first, last, "attribution"
            return first, last, "forward" if _OUTLOOK_FORWARD.search(block) else "block"
    return None


def _attribution_around(probe: list[str], line_no: int, limit: int) -> tuple[int, int] | None:
    """First and last line of one of our own attributions that spans `line_no`, if there is one."""
    for first in range(max(0, line_no - _ATTRIBUTION_LINES + 1), line_no + 1):
        if not probe[first].startswith(_ATTRIBUTION_OPENINGS):
            continue
        for last in range(line_no, min(first + _ATTRIBUTION_LINES, limit)):
            block = probe[first : last + 1]
            if not all(block) or any(line.startswith(">") for line in block):
                break  # an attribution is one paragraph of the new text
            if block[-1].endswith(":") and any(
                pattern.fullmatch(" ".join(block)) for pattern in _ATTRIBUTIONS
            ):
                return first, last
    return None


def _unquoted(lines: Sequence[str]) -> list[str]:
    return [line for line in lines if not _QUOTED.match(line)]


def _without_signature(lines: list[str]) -> list[str]:
    """The lines without a trailing signature: a sign-off or "-- ", then only signature lines."""
    end = len(lines)
    while end and (not lines[end - 1].strip() or _RULE.fullmatch(lines[end - 1].strip())):
        end -= 1  # blank lines and the rule Outlook draws above the quoted message
    opening = next((index for index in range(end) if lines[index].strip()), end)
    for index in range(end):
        stripped = lines[index].strip()
        # After "-- " comes a signature, unless a line there starts like a command ("#status"):
        # that is still the message, and cutting it would relay an internal reply.
        if (stripped == "--" and not any(map(_is_command, lines[index:end]))) or (
            # a "Thanks!" that opens the message is what the sender says, not how they sign off
            (_SENT_FROM.fullmatch(stripped) or (index > opening and _SIGN_OFF.fullmatch(stripped)))
            and _looks_like_signature(lines, index + 1, end)
        ):
            return lines[:index]
    return lines[:end]


def _looks_like_signature(lines: list[str], start: int, end: int) -> bool:
    """A sign-off is followed by a name and a few contact lines, never by more of the message."""
    if end - start > 30:
        return False
    rest = [line.strip() for line in lines[start:end] if line.strip()]
    return len(rest) <= 6 and all(map(_is_signature_line, rest))


def _is_signature_line(line: str) -> bool:
    """A name, title, company, phone number, address or link; not a sentence ("Approved.")."""
    if len(line) > 80 or _is_command(line):
        return False
    if _SENT_FROM.fullmatch(line):
        return True
    words = line.split()
    if line.endswith(("!", "?")) or (
        line.endswith(".") and words[-1].lower().rstrip(".") not in _ABBREVIATIONS
    ):
        return False  # a sentence ends so; of signature lines, only "Acme Ltd." does
    # Addresses, links and phone numbers are not lower-case words, and names and titles have
    # few: "we are on it" is prose, "Head of Digital" or "alice@acme.example" is not.
    prose = [w for w in words if _LOWER_WORD.fullmatch(w) and w not in _NAME_PARTICLES]
    return len(prose) < 2


def _is_command(line: str) -> bool:
    """A line that starts like a staff command ("#status done"): never part of a signature."""
    return line.lstrip().startswith("#")

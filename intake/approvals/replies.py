"""What a client's reply to a quote means: approve, decline or unclear, and its PO number.

Pure: the reply's new text (quotes and signature already stripped) and the phrases of the
``[approval]`` table of ``rules_file`` in, a :class:`ReplyReading` out. Only a plain yes is
an approval and only a plain no a decline; everything else is UNCLEAR and goes to staff.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from intake.errors import ConfigError
from intake.tomlfile import read_toml


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


PHRASE_KEYS = ("approve", "decline", "scope_change")
# Words that may surround a plain yes or no without saying anything more; rules_file may
# replace them with its own `courtesy` list.
COURTESY = ("please", "thanks", "thank you", "cheers", "ok", "okay", "hi", "hello", "dear")
# Words that add nothing to a yes ("yes, go ahead with it", "approved from our side").
# Any other word that is not a phrase, courtesy, a PO or a name makes the reply say more
# than yes, and it goes to staff: "will approve tomorrow", "yes, received", "accepted for
# review" and "I approved the design last week" are no approvals.
FILLER = _words(
    "the a an it this that these them its with from for our my me us we i to of on all "
    "side here quote offer estimate work job one we've decided"
)
REFERENCE = re.compile(r"req-\d+")  # "approved for REQ-1002"
OTHER_WORDS_ALLOWED = 0
# A negation this many words before an approval phrase, in the same clause, cancels it.
NEGATION_WINDOW = 3
NEGATIONS = _words(
    "not no never don't dont doesn't didn't won't wont can't cant cannot shouldn't "
    "wouldn't isn't aren't nicht kein keine pas nie niet"
)
# A capitalised word right after one of these is a name ("Hi Dana", "Thanks, Zoe").
NAME_AFTER = _words(
    "hi hello hey dear thanks thank you cheers regards best wishes morning afternoon team "
    "hallo danke grüße merci bonjour gracias hola bedankt"
)
NAMES_ALLOWED = 3  # names in a row, or on a line of their own at the start or end
QUOTE_LIMIT = 60

# A word may contain apostrophes and inner hyphens ("don't", "REQ-1002", "pre-approved").
WORD = re.compile(r"[\w']+(?:-[\w']+)*")
SENTENCE_END = ".!?\n"
CLAUSE_END = ".!?;:,()\n"
# "PO 7781", "PO#7781", "P.O. no. A-7781", "purchase order number: 2026/0042". The number is
# kept as written, without the label: "PO-4471" is "4471". It must contain a digit, and a
# later segment too ("PO 7781-cancel" is "7781"), so "PO box" or "PO to follow" are no PO.
PO = re.compile(
    r"(?<![\w'])(?:p\.?o\.?|purchase[\s-]+order)(?![a-z])"
    r"(?:\s*(?:number|num\.?|no\.?|nr\.?|is|\#)){0,2}"
    r"\s*[:#.-]?\s*"
    r"(?P<number>(?=[a-z0-9/-]*\d)[a-z0-9]+(?:[-/](?=[a-z]*\d)[a-z0-9]+)*)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ReplyPhrases:
    """The phrase lists, lowercase, from the ``[approval]`` table of ``rules_file``."""

    approve: tuple[str, ...]
    decline: tuple[str, ...]
    scope_change: tuple[str, ...]
    courtesy: tuple[str, ...] = COURTESY


class Meaning(enum.StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    UNCLEAR = "unclear"


@dataclass(frozen=True)
class ReplyReading:
    meaning: Meaning
    po: str | None
    reason: str  # for staff, e.g. 'approval that also asks a question ("start Monday?")'


def load_reply_phrases(path: Path) -> ReplyPhrases:
    """Read and check the ``[approval]`` table; a mistake is one ConfigError naming the key."""
    where = f"rules_file: {path}"
    table = read_toml(path, "rules_file: ", ConfigError).get("approval")
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [approval] table missing")
    for key in table.keys() - {*PHRASE_KEYS, "courtesy"}:
        raise ConfigError(f"{where}: approval.{key}: unknown setting")
    lists = {key: _phrases(table, key, where) for key in PHRASE_KEYS}
    courtesy = _phrases(table, "courtesy", where) if "courtesy" in table else COURTESY
    return ReplyPhrases(lists["approve"], lists["decline"], lists["scope_change"], courtesy)


# The longest PO number kept (the column's size, and what staff may type in #approve): a
# longer "number" is no purchase order anyone issued.
MAX_PO = 64


def find_po(text: str) -> str | None:
    """The first purchase-order number in ``text``, as written minus its label, or None."""
    match = PO.search(text)
    return match.group("number") if match and len(match.group("number")) <= MAX_PO else None


# -- reading ----------------------------------------------------------------------------


@dataclass(frozen=True)
class _Found:
    start: int
    end: int
    phrase: str


@dataclass(frozen=True)
class _Scan:
    """One reply taken apart: ``text`` is the original, ``norm`` its lowercase twin."""

    text: str
    norm: str
    approvals: tuple[_Found, ...]
    negated: tuple[_Found, ...]
    declines: tuple[_Found, ...]
    scope: tuple[_Found, ...]
    ambiguous: tuple[_Found, ...]  # courtesy phrases around a decline word ("no problem")
    others: tuple[_Found, ...]  # words that are none of the above


def read_reply(
    new_text: str,
    phrases: ReplyPhrases,
    *,
    sender_names: tuple[str, ...] = (),
    ref: str | None = None,
) -> ReplyReading:
    """What the new text of a reply to a quote means; anything short of plain is UNCLEAR.

    ``sender_names``: the sender's own name as intake knows it (display name, contact
    name, address); a line at the start or end made only of those words is a signature.
    Any other line of capitalised words ("Pending Board Review") is read as words.
    ``ref``: the reference of the request the reply is about; a reply that names another
    request ("approved for REQ-1003") is not an answer to this one's quote."""
    po = find_po(new_text)
    scan = _scan(new_text, phrases, _name_words(sender_names))
    if not WORD.search(scan.norm):
        return ReplyReading(Meaning.UNCLEAR, po, "empty reply")
    others = sorted({r for r in REFERENCE.findall(scan.norm) if ref is None or r != ref.lower()})
    if ref is not None and others:
        named = ", ".join(r.upper() for r in others)
        return ReplyReading(Meaning.UNCLEAR, po, f"names {named}, not {ref}")
    if scan.ambiguous:
        return ReplyReading(Meaning.UNCLEAR, po, f"ambiguous {_quote(scan.ambiguous[0], scan)}")
    if scan.approvals and scan.declines:
        both = f"{_quote(scan.approvals[0], scan)}, {_quote(scan.declines[0], scan)}"
        return ReplyReading(Meaning.UNCLEAR, po, f"both approves and declines ({both})")
    if not scan.approvals and not scan.declines:
        if scan.negated:
            return ReplyReading(
                Meaning.UNCLEAR, po, f"negated approval ({_sentence(scan.negated[0], scan)})"
            )
        return ReplyReading(Meaning.UNCLEAR, po, "no approval or decline found")
    meaning = Meaning.APPROVE if scan.approvals else Meaning.DECLINE
    noun = "approval" if meaning is Meaning.APPROVE else "decline"
    for check in CHECKS:
        if found := check(scan):
            return ReplyReading(Meaning.UNCLEAR, po, f"{noun} that also {found}")
    verb = "approved" if meaning is Meaning.APPROVE else "declined"
    reason = f"{verb} ({_quote((scan.approvals or scan.declines)[0], scan)})"
    return ReplyReading(meaning, po, f"{reason}, PO {po}" if po else reason)


def _asks_question(scan: _Scan) -> str | None:
    mark = scan.norm.find("?")
    if mark < 0:
        return None
    return f"asks a question ({_sentence(_Found(mark, mark + 1, '?'), scan)})"


def _changes_scope(scan: _Scan) -> str | None:
    return f"changes the scope ({_sentence(scan.scope[0], scan)})" if scan.scope else None


def _negates(scan: _Scan) -> str | None:
    # With a decline, a negated approval agrees ("no thanks, we won't go ahead").
    if not scan.approvals or not scan.negated:
        return None
    return f"negates an approval ({_sentence(scan.negated[0], scan)})"


def _says_more(scan: _Scan) -> str | None:
    if len(scan.others) <= OTHER_WORDS_ALLOWED:
        return None
    return f"says more ({_sentence(scan.others[0], scan)})"


# The order the reasons are looked for: the first that applies is the one staff see.
CHECKS: tuple[Callable[[_Scan], str | None], ...] = (
    _asks_question,
    _changes_scope,
    _negates,
    _says_more,
)


def _name_words(names: tuple[str, ...]) -> frozenset[str]:
    """The words of a sender's names, lowercase: "Zoe Becker", "zoe.becker@zed.example"."""
    words: set[str] = set()
    for name in names:
        words.update(w.lower() for w in re.split(r"[^\w']+", name.partition("@")[0]) if w)
    return frozenset(words)


def _scan(text: str, phrases: ReplyPhrases, sender: frozenset[str] = frozenset()) -> _Scan:
    norm = _normalise(text)
    declines = _find(norm, phrases.decline)
    approvals: list[_Found] = []
    negated: list[_Found] = []
    for found in _find(norm, phrases.approve):
        if any(_overlap(found, d) and _len(d) >= _len(found) for d in declines):
            continue  # "not approved", "don't go ahead": the decline says it
        (negated if _is_negated(norm, found) else approvals).append(found)
    scope = _find(norm, phrases.scope_change)
    # The PO and its label are not "other words"; blank them, keeping every position.
    blanked = PO.sub(lambda m: " " * len(m.group()), norm)
    courtesy = _find(blanked, phrases.courtesy)
    ambiguous = [c for c in courtesy if any(_overlap(d, c) and _len(c) > _len(d) for d in declines)]
    covered = [*approvals, *negated, *declines, *scope, *courtesy]
    words = [_Found(m.start(), m.end(), m.group()) for m in WORD.finditer(blanked)]
    others = [
        w
        for w in words
        if w.phrase not in FILLER
        and not REFERENCE.fullmatch(w.phrase)
        and not any(_overlap(w, c) for c in covered)
    ]
    names = _names(text, words, others, courtesy, sender)
    return _Scan(
        text=text,
        norm=norm,
        approvals=tuple(approvals),
        negated=tuple(negated),
        declines=tuple(declines),
        scope=tuple(scope),
        ambiguous=tuple(ambiguous),
        others=tuple(w for w in others if w not in names),
    )


def _names(
    text: str,
    words: list[_Found],
    others: list[_Found],
    courtesy: list[_Found],
    sender: frozenset[str],
) -> set[_Found]:
    """Other words that are names: after a greeting or thanks, or the sender's own name
    alone on the first or last line."""
    other = set(others)
    greeting = {w for w in words if w.phrase in NAME_AFTER and _covered(w, courtesy)}
    names: set[_Found] = set()
    run = 0
    for before, word in zip([None, *words], words, strict=False):
        # A name goes on the greeting's line ("Thanks Zoe", "Hi Dana"), or on the next one
        # when it is the sender's ("Thanks,\nZoe"); a run of names never crosses a line.
        new_line = before is not None and "\n" in text[before.end : word.start]
        follows = before is not None and (
            (before in greeting and (not new_line or word.phrase in sender))
            or (before in names and run and not new_line)
        )
        if word in other and _capitalised(text, word) and follows and run < NAMES_ALLOWED:
            names.add(word)
            run += 1
        else:
            run = 0
    lines = [line for line in _lines(words, text) if line]
    for line in (lines[0], lines[-1]) if lines else ():
        if len(line) <= NAMES_ALLOWED and all(
            w in other and _capitalised(text, w) and w.phrase in sender for w in line
        ):
            names.update(line)
    return names


def _lines(words: list[_Found], text: str) -> list[list[_Found]]:
    lines: list[list[_Found]] = [[]]
    for before, word in zip([None, *words], words, strict=False):
        if before is not None and "\n" in text[before.end : word.start]:
            lines.append([])
        lines[-1].append(word)
    return lines


def _is_negated(norm: str, found: _Found) -> bool:
    clause = max(norm.rfind(mark, 0, found.start) for mark in CLAUSE_END) + 1
    before = WORD.findall(norm[clause : found.start])[-NEGATION_WINDOW:]
    return any(word in NEGATIONS for word in before)


@lru_cache(maxsize=64)
def _pattern(phrases: tuple[str, ...]) -> re.Pattern[str]:
    # Longest first, so "please proceed" is one match, not "please" and "proceed".
    words = sorted((p.split() for p in phrases), key=lambda w: -len(" ".join(w)))
    alternatives = "|".join(r"[\s,]+".join(map(re.escape, w)) for w in words)
    return re.compile(rf"(?<![\w'])(?<!\w-)(?:{alternatives})(?![\w']|-\w)")


def _find(norm: str, phrases: tuple[str, ...]) -> list[_Found]:
    if not phrases:
        return []
    return [_Found(m.start(), m.end(), m.group()) for m in _pattern(phrases).finditer(norm)]


def _normalise(text: str) -> str:
    """Lowercase with typographic apostrophes and question marks made plain, every character
    keeping its position (so a match points into the original text)."""
    plain = text.translate(str.maketrans("’‘ʼ？¿", "'''??"))
    return "".join(c.lower() if len(c.lower()) == 1 else c for c in plain)


def _phrases(table: dict[str, object], key: str, where: str) -> tuple[str, ...]:
    value = table.get(key)
    if (
        not isinstance(value, list)
        or not value
        or not all(isinstance(p, str) and WORD.search(p) for p in value)
    ):
        raise ConfigError(f'{where}: approval.{key}: expected a list of phrases, e.g. ["yes"]')
    return tuple(_normalise(" ".join(p.split())) for p in value)


def _overlap(a: _Found, b: _Found) -> bool:
    return a.start < b.end and b.start < a.end


def _covered(word: _Found, spans: list[_Found]) -> bool:
    return any(_overlap(word, span) for span in spans)


def _len(found: _Found) -> int:
    return found.end - found.start


def _capitalised(text: str, word: _Found) -> bool:
    return text[word.start].isupper()


def _quote(found: _Found, scan: _Scan) -> str:
    return f'"{scan.text[found.start : found.end]}"'


def _sentence(found: _Found, scan: _Scan) -> str:
    """The sentence around ``found`` in the original text, quoted and shortened for staff."""
    start = max(scan.norm.rfind(mark, 0, found.start) for mark in SENTENCE_END) + 1
    ends = [i for i in (scan.norm.find(m, found.end - 1) for m in SENTENCE_END) if i >= 0]
    end = min(ends, default=len(scan.norm))
    if end < len(scan.norm) and scan.norm[end] == "?":
        end += 1
    sentence = " ".join(scan.text[start:end].split())
    if len(sentence) > QUOTE_LIMIT:
        sentence = sentence[: QUOTE_LIMIT - 1].rstrip() + "…"
    return f'"{sentence}"'

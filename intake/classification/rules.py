"""Type and severity of a request from the weighted rules in ``rules_file``: load, check, apply.

Loading does the I/O and validation once; :func:`classify` is pure (strings and a frozen
:class:`Rules` in, a :class:`Classification` out), so it is tested and benchmarked without
any server.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from intake.errors import ConfigError, InvalidInput
from intake.requests.states import RequestType, Severity
from intake.tomlfile import read_toml

TYPES = tuple(t.value for t in RequestType)
SEVERITIES = tuple(s.value for s in Severity)
SETTINGS = {
    "subject_weight",
    "evidence",
    "low_confidence",
    "negation_words",
    "negation_window",
    "strip",
    "default_type",
    "default_type_score",
    "default_severity",
    "default_severity_score",
}
LABEL_KEYS = {"phrases", "regex", "after_type"}
WORD = re.compile(r"[\w']+")
# The runs of word characters a phrase is made of: each is a whole run in any text the
# phrase matches, so a text without one of them cannot match (see Place.tokens).
RUN = re.compile(r"\w+")


@functools.cache
def _ignorecase_classes() -> tuple[dict[int, str], frozenset[str]] | None:
    """What re.IGNORECASE takes for one letter beyond lower(): ſ and s, ı and i, ς and σ, ...
    (each such class to one of its letters), and the non-word characters it takes for a
    letter (U+0345 for ι), around which runs of word characters do not line up. None when
    this Python does not say (then every phrase is scanned)."""
    try:
        from re import _casefix  # type: ignore[attr-defined]  # the table re itself uses
    except ImportError:
        return None
    parent: dict[int, int] = {}

    def root(code: int) -> int:
        while parent.setdefault(code, code) != code:
            code = parent[code]
        return code

    for code, others in _casefix._EXTRA_CASES.items():
        for other in others:
            parent[root(other)] = root(code)
    classes: dict[int, list[int]] = {}
    for code in parent:
        classes.setdefault(root(code), []).append(code)
    table: dict[int, str] = {}
    for members in classes.values():
        letters = sorted(chr(m) for m in members)
        words = [c for c in letters if c.isalnum()]
        table.update(dict.fromkeys(members, (words or letters)[0]))
    mixed = {chr(m) for ms in classes.values() for m in ms if not chr(m).isalnum()}
    return table, frozenset(mixed)


# İ: lower() makes it two characters (i and a combining dot), re.IGNORECASE takes it as i.
_BEFORE_LOWER = {0x130: "i"}


def _runs(text: str) -> frozenset[str] | None:
    """The runs of word characters of ``text`` as re.IGNORECASE sees it (lowercase, one
    character for one, letters it takes for one another made the same); None when they
    cannot be trusted to line up with a match (then every phrase is scanned)."""
    cases = _ignorecase_classes()
    if cases is None:
        return None
    classes, mixed = cases
    if not mixed.isdisjoint(text):
        return None
    return frozenset(RUN.findall(text.translate(_BEFORE_LOWER).lower().translate(classes)))


CLAUSE_END = re.compile(r"[.!?;:,()\n]")
NEGATION_LOOKBACK = 120
# A request says what it is near its top; the rest of a long message (logs, pasted
# output) adds noise and time, not signal.
TEXT_LIMIT = 8000


@dataclass(frozen=True)
class Decision:
    """One decided value with how sure we are and the rules that decided it.

    ``confidence`` is the winning label's share of all the evidence, discounted by the
    file's ``evidence`` constant: winner / (sum of every label's score + evidence). It is
    near 1 only when strong signals agree, about a half for one lone signal, and low when
    labels compete or nothing matched at all.
    """

    value: str
    confidence: float
    rules: tuple[str, ...]
    # Every label's share of the evidence, as ``confidence`` is the winner's: what the
    # learned model reads of the rules (intake.classification.model.rule_features).
    shares: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Classification:
    type: Decision
    severity: Decision
    low_confidence: bool


@dataclass(frozen=True)
class Pattern:
    """A weighted signal; ``name`` is how staff see it (``"down"`` or ``/error\\s*5\\d\\d/``)."""

    name: str
    regex: re.Pattern[str]
    weight: float
    # The folded runs of word characters every match is made of: a text lacking one ("all
    # users" in a text with "users" but no "all") is skipped without a regex scan. Empty
    # for a regex, which is always scanned.
    runs: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Place:
    """Where a request says something (its subject or its text) and what it is worth."""

    name: str
    content: str
    factor: float
    # Every run of word characters in it, folded: one set test a phrase, not a scan. None:
    # every phrase is scanned (see _runs).
    tokens: frozenset[str] | None

    @classmethod
    def of(cls, name: str, content: str, factor: float) -> Place:
        return cls(name, content, factor, _runs(content))


@dataclass(frozen=True)
class Axis:
    """The rules for one decision (type or severity); ``labels`` in tie-break order."""

    labels: tuple[str, ...]
    patterns: Mapping[str, tuple[Pattern, ...]]
    default: str
    default_score: float
    after_type: Mapping[str, Mapping[str, float]]


@dataclass(frozen=True)
class Rules:
    type: Axis
    severity: Axis
    subject_weight: float
    evidence: float
    low_confidence: float
    negation_words: frozenset[str]
    negation_window: int
    strip: tuple[re.Pattern[str], ...]


def load_rules(path: Path) -> Rules:
    """Read and check ``rules_file``; any mistake is one ConfigError line naming the entry."""
    data = read_toml(path, "rules_file: ", ConfigError)
    where = f"rules_file: {path}"
    settings = _table(data, "classify", where)
    for key in settings.keys() - SETTINGS:
        raise ConfigError(f"{where}: classify.{key}: unknown setting")
    words = settings.get("negation_words", [])
    if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
        raise ConfigError(f"{where}: classify.negation_words: expected a list of words")
    return Rules(
        type=_axis(data, "type", TYPES, settings, where),
        severity=_axis(data, "severity", SEVERITIES, settings, where),
        subject_weight=_number(settings, "subject_weight", f"{where}: classify", 1.0),
        evidence=_number(settings, "evidence", f"{where}: classify", 2.0),
        low_confidence=_number(settings, "low_confidence", f"{where}: classify", 0.5, 1.0),
        negation_words=frozenset(w.lower() for w in words),
        negation_window=int(_number(settings, "negation_window", f"{where}: classify", 2)),
        strip=tuple(
            _compile(p, f"{where}: classify.strip", re.M)
            for p in _strings(settings.get("strip", []), f"{where}: classify.strip")
        ),
    )


def classify(subject: str, text: str, rules: Rules) -> Classification:
    """Decide type, then severity (which may lean on the type), of one request."""
    subject, text = _normalise(subject), _normalise(text[:TEXT_LIMIT])
    for pattern in rules.strip:
        text = pattern.sub("", text)
    places = (Place.of("subject", subject, rules.subject_weight), Place.of("text", text, 1.0))
    kind = _decide(rules.type, places, rules, None)
    severity = _decide(rules.severity, places, rules, kind.value)
    low = min(kind.confidence, severity.confidence) < rules.low_confidence
    return Classification(kind, severity, low)


def labelled_example(subject: str, text: str, type: str, severity: str) -> dict[str, str]:
    """A record of the labelled set (``tests/data/labelled/``), e.g. from a staff correction."""
    if type not in TYPES:
        raise InvalidInput(f"type: {type!r} is not one of {', '.join(TYPES)}")
    if severity not in SEVERITIES:
        raise InvalidInput(f"severity: {severity!r} is not one of {', '.join(SEVERITIES)}")
    return {
        "split": "correction",
        "subject": subject,
        "text": text,
        "type": type,
        "severity": severity,
    }


def example_toml(example: Mapping[str, str]) -> str:
    """One labelled example as a ``[[request]]`` block to append to the labelled set: the
    text as a multi-line string, the rest on one line each; any character TOML does not
    allow raw (CR, ESC, DEL, ...) escaped, so the block always reads back as written."""
    lines = ["", "[[request]]"]
    for key in ("split", "subject", "text", "type", "severity"):
        if key == "text":
            text = _toml_escape(example[key], keep="\n")
            lines.append(f'text = """\n{text}"""')
        else:
            value = _toml_escape(example[key].replace("\n", " "))
            lines.append(f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


def _toml_escape(value: str, keep: str = "") -> str:
    """``value`` for the inside of a TOML basic string; ``keep`` characters stay raw."""
    out = []
    for char in value:
        if char in ("\\", '"'):
            out.append("\\" + char)
        elif char in keep or char == "\t" or not (char < " " or char == "\x7f"):
            out.append(char)
        else:
            out.append(f"\\u{ord(char):04x}")
    return "".join(out)


def load_examples(path: Path) -> list[dict[str, str]]:
    """The labelled set: one dict per ``[[request]]`` with the keys of labelled_example."""
    with path.open("rb") as handle:
        return [dict(entry) for entry in tomllib.load(handle).get("request", [])]


# -- deciding ---------------------------------------------------------------------------


def _decide(axis: Axis, places: tuple[Place, ...], rules: Rules, kind: str | None) -> Decision:
    scores: dict[str, float] = {}
    reasons: dict[str, list[tuple[float, str]]] = {}
    for label in axis.labels:
        found: list[tuple[float, str]] = []
        if label == axis.default:
            found.append((axis.default_score, f"default {label}"))
        if kind is not None and kind in axis.after_type.get(label, {}):
            found.append((axis.after_type[label][kind], f"type {kind}"))
        for pattern in axis.patterns.get(label, ()):
            for place in places:
                skip = place.tokens is not None and not pattern.runs <= place.tokens
                if not skip and _matches(pattern, place.content, rules):
                    found.append((pattern.weight * place.factor, f"{place.name} {pattern.name}"))
        scores[label] = max(0.0, sum(points for points, _ in found))
        reasons[label] = found
    # max() keeps the first of equal scores, so ties go to the label listed first.
    value = max(axis.labels, key=lambda label: scores[label])
    total = sum(scores.values()) + rules.evidence
    shown = sorted(reasons[value], key=lambda item: -abs(item[0]))
    return Decision(
        value,
        round(scores[value] / total, 3),
        tuple(f"{name} ({points:+.1f})" for points, name in shown),
        {label: score / total for label, score in scores.items()},
    )


def _matches(pattern: Pattern, content: str, rules: Rules) -> bool:
    """Whether the pattern occurs at least once, not negated ("not urgent", "no data loss")."""
    return any(not _negated(content, m.start(), rules) for m in pattern.regex.finditer(content))


def _negated(content: str, start: int, rules: Rules) -> bool:
    # Only the few words before the match matter: look back a short stretch, not the
    # whole text, so long messages stay linear.
    clause = CLAUSE_END.split(content[max(0, start - NEGATION_LOOKBACK) : start])[-1]
    before = WORD.findall(clause.lower())[-(rules.negation_window + 1) :]
    return any(word in rules.negation_words for word in before)


def _normalise(value: str) -> str:
    return value.replace("\u2019", "'").replace("\u2018", "'")


# -- loading ----------------------------------------------------------------------------


def _axis(
    data: dict[str, Any], name: str, allowed: tuple[str, ...], settings: dict[str, Any], where: str
) -> Axis:
    table = _table(data, name, where)
    patterns: dict[str, tuple[Pattern, ...]] = {}
    after: dict[str, dict[str, float]] = {}
    for label, entry in table.items():
        at = f"{where}: {name}.{label}"
        if label not in allowed:
            raise ConfigError(f"{at}: unknown {name}; expected one of {', '.join(allowed)}")
        if not isinstance(entry, dict):
            raise ConfigError(f"{at}: expected a table")
        for key in entry.keys() - LABEL_KEYS:
            raise ConfigError(f"{at}.{key}: unknown key; expected phrases, regex or after_type")
        phrases = _weights(entry.get("phrases", {}), f"{at}.phrases")
        regexes = _weights(entry.get("regex", {}), f"{at}.regex")
        patterns[label] = tuple(
            [
                Pattern(
                    f'"{p}"',
                    _compile(_phrase(p), f'{at}.phrases."{p}"'),
                    w,
                    _runs(p) or frozenset(),
                )
                for p, w in phrases.items()
            ]
            + [Pattern(f"/{r}/", _compile(r, f"{at}.regex.'{r}'"), w) for r, w in regexes.items()]
        )
        after[label] = _weights(entry.get("after_type", {}), f"{at}.after_type")
        for kind in after[label].keys() - set(TYPES):
            raise ConfigError(f"{at}.after_type.{kind}: unknown type")
    default = settings.get(f"default_{name}")
    if default not in allowed:
        raise ConfigError(f"{where}: classify.default_{name}: expected one of {', '.join(allowed)}")
    labels = tuple(table) + tuple(label for label in allowed if label not in table)
    score = _number(settings, f"default_{name}_score", f"{where}: classify", 1.0)
    return Axis(labels, patterns, default, score, after)


def _phrase(phrase: str) -> str:
    """A plain phrase as a case-insensitive regex on word boundaries, any run of spaces. A
    hyphen joins words: "down" is not found in "drop-down", nor "update" in "update-proof"."""
    words = [re.escape(word) for word in phrase.split()]
    return r"(?<![\w-])" + r"\s+".join(words) + r"(?![\w-])" if words else ""


def _compile(source: str, at: str, flags: int = 0) -> re.Pattern[str]:
    if not source.strip():
        raise ConfigError(f"{at}: empty pattern")
    try:
        return re.compile(source, re.IGNORECASE | flags)
    except re.error as exc:
        raise ConfigError(f"{at}: bad regex: {exc}") from None


def _table(data: dict[str, Any], key: str, where: str) -> dict[str, Any]:
    value = data.get(key)
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: missing [{key}] table")
    return value


def _weights(value: Any, at: str) -> dict[str, float]:
    if not isinstance(value, dict):
        raise ConfigError(f"{at}: expected a table of pattern = weight")
    for key, weight in value.items():
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise ConfigError(f'{at}."{key}": weight must be a number, not {weight!r}')
    return {key: float(weight) for key, weight in value.items()}


def _strings(value: Any, at: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigError(f"{at}: expected a list of regexes")
    return value


def _number(
    table: dict[str, Any], key: str, at: str, default: float, most: float | None = None
) -> float:
    value = table.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
        raise ConfigError(f"{at}.{key}: expected a number >= 0, not {value!r}")
    if most is not None and value > most:
        raise ConfigError(f"{at}.{key}: expected a number <= {most}")
    return float(value)

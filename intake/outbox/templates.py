"""Email templates: one folder per email (subject.txt, body.txt, body.html), rendered from one
context with Jinja2 in the reader's language (gettext through Jinja2's i18n extension; money,
hours and dates in that language's forms by Babel); an agency's own templates folder
overrides the bundled one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_datetime, format_skeleton, format_time
from babel.numbers import format_currency
from babel.units import format_unit

from intake.hours import hours_figure
from intake.outbox.language import N_, SOURCE, translations

BUNDLED = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def money(value: Decimal | int | str, currency: str = "USD", locale: str = "en") -> str:
    """1150 -> "$1,150.00"; in EUR for a German reader "1.150,00 €" (Babel's CLDR data):
    always to the cent, never rounded further."""
    amount = Decimal(str(value)).quantize(Decimal("0.01"))
    return format_currency(amount, currency, locale=locale, currency_digits=False)


@jinja2.pass_context
def _money(context: Any, value: Decimal | int | str) -> str:
    """The money filter: in the email's currency (the settings' unless the context says
    otherwise), written as the reader's language writes it."""
    return money(value, context.get("currency") or "USD", _language(context))


def hours(value: Decimal | int | str, language: str = SOURCE) -> str:
    """Decimal("1.50") -> "1.5 h"; in German "1,5 Std.", in Dutch "1,5 uur"."""
    if language == SOURCE:
        return f"{hours_figure(value)} h"
    written = format_unit(
        Decimal(str(value)).normalize(), "duration-hour", "short", locale=language
    )
    return written.replace(" ", "\u00a0")  # "1,5 Std." is never broken across two lines


@jinja2.pass_context
def _hours(context: Any, value: Decimal | int | str) -> str:
    return hours(value, _language(context))


def _language(context: Any) -> str:
    return str(context.get("language") or SOURCE)


# Words before a name that are not what a person is called by on their own.
TITLES = frozenset({
    "mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "herr", "frau", "fr", "hr",
    "dott", "mme", "mlle", "m", "sr", "sra", "srta", "dhr", "mevr", "ing",
})  # fmt: skip


def first_name(name: str) -> str:
    """What a greeting calls a contact: "Zoe Weber" -> "Zoe"; a name with a title ("Dr
    Maria Schmidt") or one word (an address's local part) stays as it is."""
    words = name.split()
    if len(words) < 2 or words[0].lower().rstrip(".") in TITLES:
        return name.strip()
    return words[0].rstrip(",")


# The name the bundled plans.toml gives [plan.none]: a description more than a name, so the
# catalogues translate it where a client reads it.
NO_PLAN = N_("No plan")


def plan(name: str, language: str = SOURCE) -> str:
    """A plan's name as a phrase: "Basic" -> "Basic plan" (in German "Basic-Paket"); "No
    plan" stays "No plan" (in German "ohne Paket")."""
    if name.strip().lower().endswith("plan"):
        return translations(language).gettext(name)
    return translations(language).gettext("%(name)s plan") % {"name": name}


@jinja2.pass_context
def _plan(context: Any, name: str) -> str:
    return plan(name, _language(context))


# Environments kept: (templates folder, HTML or not) for each language.
@lru_cache(maxsize=32)
def _environment(override: str | None, autoescape: bool, language: str) -> jinja2.Environment:
    folders = [Path(override)] if override else []
    folders.append(BUNDLED)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
        extensions=["jinja2.ext.i18n"],
    )
    # New-style gettext: _("Hello %(name)s,", name=...) formats (and, in HTML, escapes) the
    # values itself, so a translation moves them where its language puts them.
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.filters["money"] = _money
    env.filters["hours"] = _hours
    env.filters["plan"] = _plan
    env.filters["first_name"] = first_name
    return env


def render(
    name: str,
    context: dict[str, Any],
    templates_dir: Path | None = None,
    language: str = SOURCE,
) -> Rendered:
    """Render ``templates/email/<name>/`` with ``context`` in ``language`` (a client's
    ``language``; staff read the agency's English); HTML is autoescaped. The context
    says what the caller formats itself (dates, words) in that language already."""
    override = str(templates_dir) if templates_dir else None
    plain = _environment(override, False, language)
    html = _environment(override, True, language)
    context = {**context, "language": language}
    subject = plain.get_template(f"email/{name}/subject.txt").render(context)
    return Rendered(
        subject=" ".join(subject.split()),
        text=plain.get_template(f"email/{name}/body.txt").render(context),
        html=html.get_template(f"email/{name}/body.html").render(context),
    )


def render_text(
    name: str, context: dict[str, Any], templates_dir: Path | None = None, language: str = SOURCE
) -> str:
    """Render one plain-text template under ``templates/`` (a document's terms, say)."""
    override = str(templates_dir) if templates_dir else None
    return _environment(override, False, language).get_template(name).render(context)


# English keeps the forms its emails have always had; other languages take CLDR's.
def when(moment: datetime, zone: str, language: str = SOURCE) -> str:
    """A moment on ``zone``'s clock: "Tue 8 Dec 2026, 09:00 (Europe/Berlin)"; in German
    "Dienstag, 8. Dezember 2026, 09:00 Uhr (Europe/Berlin)"."""
    local = moment.astimezone(ZoneInfo(zone))
    if language == SOURCE:
        written = format_datetime(local, "EEE d MMM y, HH:mm", tzinfo=local.tzinfo, locale=language)
    else:
        at = format_time(local, "short", locale=language)
        # A day and a time, as the language joins them ("..., 09:00 Uhr", "... à 09:00").
        joined = translations(language).gettext("%(day)s, %(time)s")
        written = joined % {"day": day(local.date(), language), "time": at}
    return f"{written} ({zone})"


def day(value: date, language: str = SOURCE) -> str:
    """ "Tue 8 Dec 2026"; in German "Dienstag, 8. Dezember 2026"."""
    if language == SOURCE:
        return format_date(value, "EEE d MMM y", locale=language)
    return format_date(value, "full", locale=language)


def short_day(value: date, language: str = SOURCE) -> str:
    """A day of a month already named: "Mon 5 Oct"; in German "Mo., 5. Okt."."""
    if language == SOURCE:
        return format_date(value, "EEE d MMM", locale=language)
    return format_skeleton("MMMEd", value, locale=language)


def month(first_day: date, language: str = SOURCE) -> str:
    """ "October 2026"; in German "Oktober 2026", in Spanish "octubre de 2026"."""
    return format_skeleton("yMMMM", first_day, locale=language)

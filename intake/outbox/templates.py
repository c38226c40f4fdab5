"""Email templates: one folder per email (subject.txt, body.txt, body.html), rendered from one
context with Jinja2; an agency's own templates folder overrides the bundled one."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jinja2
from babel.numbers import format_currency

from intake.hours import hours_figure

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
    """The money filter: in the email's currency and locale (the settings' currency and
    English unless the context says otherwise)."""
    return money(value, context.get("currency") or "USD", context.get("locale") or "en")


def hours(value: Decimal | int | str) -> str:
    """Decimal("1.50") -> "1.5 h"."""
    return f"{hours_figure(value)} h"


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


def plan(name: str) -> str:
    """A plan's name as a phrase: "Basic" -> "Basic plan"; "No plan" stays "No plan"."""
    return name if name.strip().lower().endswith("plan") else f"{name} plan"


@lru_cache(maxsize=8)
def _environment(override: str | None, autoescape: bool) -> jinja2.Environment:
    folders = [Path(override)] if override else []
    folders.append(BUNDLED)
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader([str(f) for f in folders]),
        undefined=jinja2.StrictUndefined,
        autoescape=autoescape,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    env.filters["hours"] = hours
    env.filters["plan"] = plan
    env.filters["first_name"] = first_name
    return env


def render(name: str, context: dict[str, Any], templates_dir: Path | None = None) -> Rendered:
    """Render ``templates/email/<name>/`` with ``context``; HTML is autoescaped."""
    override = str(templates_dir) if templates_dir else None
    plain = _environment(override, False)
    html = _environment(override, True)
    subject = plain.get_template(f"email/{name}/subject.txt").render(context)
    return Rendered(
        subject=" ".join(subject.split()),
        text=plain.get_template(f"email/{name}/body.txt").render(context),
        html=html.get_template(f"email/{name}/body.html").render(context),
    )


def render_text(name: str, context: dict[str, Any], templates_dir: Path | None = None) -> str:
    """Render one plain-text template under ``templates/`` (a document's terms, say)."""
    override = str(templates_dir) if templates_dir else None
    return _environment(override, False).get_template(name).render(context)


def when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %-d %b %Y, %H:%M} ({zone})"


def day(value: date) -> str:
    return f"{value:%a %-d %b %Y}"

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

from intake.hours import hours_figure

BUNDLED = Path(__file__).resolve().parents[2] / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def money(value: Decimal | int | str) -> str:
    """1150 -> "$1,150.00"."""
    return f"${Decimal(str(value)):,.2f}"


def hours(value: Decimal | int | str) -> str:
    """Decimal("1.50") -> "1.5 h"."""
    return f"{hours_figure(value)} h"


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
    env.filters["money"] = money
    env.filters["hours"] = hours
    env.filters["plan"] = plan
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


def when(moment: datetime, zone: str) -> str:
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local:%a %-d %b %Y, %H:%M} ({zone})"


def day(value: date) -> str:
    return f"{value:%a %-d %b %Y}"

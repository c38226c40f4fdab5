"""The plans file: fees, included hours, support hours and SLA targets per plan."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from intake import catalogue
from intake.errors import ConfigError
from intake.settings import Settings
from intake.tomlfile import read_toml

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SEVERITIES = ("critical", "major", "minor")
# The check-ins a plan may include, and the months between two.
CHECKINS = {"monthly": 1, "quarterly": 3}
TARGET = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([hd])\s*$")


@dataclass(frozen=True)
class Target:
    """An SLA target: ``amount`` hours ("h") or business days ("d")."""

    amount: Decimal
    unit: str

    def __str__(self) -> str:
        return f"{self.amount.normalize()}{self.unit}"


@dataclass(frozen=True)
class Plan:
    key: str
    name: str
    fee: Decimal
    included_hours: Decimal
    support: str
    days: tuple[int, ...]  # 0 = Monday
    opens: time
    closes: time
    around_the_clock: frozenset[str]
    first_response: dict[str, Target]
    resolution: dict[str, Target]
    checkin: str | None = None  # monthly | quarterly: the check-in the plan includes


@dataclass(frozen=True)
class PriceSheet:
    hourly_rate: Decimal
    plans: dict[str, Plan]

    def plan(self, key: str) -> Plan:
        return self.plans[key]

    def plan_in_force(self, key: str, since: date | None, today: date) -> Plan:
        """The plan a client's work is quoted under today: theirs once their contract has
        started, as statements bill it; before that, no plan."""
        return self.plans[key] if contract_started(since, today) else self.plans["none"]


def contract_started(since: date | None, day: date) -> bool:
    """Whether a contract starting on ``since`` covers ``day``: from the first of the month
    it starts in (a plan is billed by the month), always when it has no start."""
    return since is None or day >= since.replace(day=1)


def load_plans(path: Path) -> PriceSheet:
    data = read_toml(path, "plans_file: ", ConfigError)
    rate = _money(data.get("hourly_rate"), f"{path}: hourly_rate")
    plans = {key: _plan(key, value, path) for key, value in data.get("plan", {}).items()}
    if "none" not in plans:
        raise ConfigError(f"plans_file: {path} must define [plan.none]")
    return PriceSheet(rate, plans)


def _plan(key: str, data: dict[str, Any], path: Path) -> Plan:
    where = f"plans_file: {path}: plan.{key}"
    try:
        days = tuple(DAYS.index(d.lower()[:3]) for d in data.get("days", DAYS[:5]))
        opens = time.fromisoformat(data.get("opens", "09:00"))
        closes = time.fromisoformat(data.get("closes", "17:00"))
    except (ValueError, AttributeError) as exc:
        raise ConfigError(f"{where}: {exc}") from None
    if closes <= opens:
        raise ConfigError(f"{where}: closes must be after opens")
    checkin = data.get("checkin")
    if checkin is not None and checkin not in CHECKINS:
        choices = ", ".join(f'"{c}"' for c in CHECKINS)
        raise ConfigError(f"{where}.checkin: {checkin!r} is not one of {choices}")
    return Plan(
        key=key,
        name=str(data.get("name", key)),
        fee=_money(data.get("fee", "0"), f"{where}.fee"),
        included_hours=_money(data.get("included_hours", "0"), f"{where}.included_hours"),
        support=str(data.get("support", "")),
        days=days,
        opens=opens,
        closes=closes,
        around_the_clock=frozenset(data.get("around_the_clock", [])),
        first_response=_targets(data.get("first_response", {}), f"{where}.first_response"),
        resolution=_targets(data.get("resolution", {}), f"{where}.resolution"),
        checkin=checkin,
    )


def _targets(data: dict[str, str], where: str) -> dict[str, Target]:
    targets = {}
    for severity in SEVERITIES:
        text = data.get(severity)
        match = TARGET.match(str(text)) if text is not None else None
        if match is None:
            raise ConfigError(f'{where}.{severity}: expected a target such as "4h" or "1d"')
        targets[severity] = Target(Decimal(match[1]), match[2])
    return targets


def _money(value: Any, where: str) -> Decimal:
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise ConfigError(f"{where}: {value!r} is not a number") from None
    if not amount.is_finite() or isinstance(value, bool):
        raise ConfigError(f"{where}: {value!r} is not a number")
    if amount < 0:
        raise ConfigError(f"{where}: must not be negative")
    return amount


def price_sheet(settings: Settings) -> PriceSheet:
    """The agency's plans file, as of at most a second ago (see ``intake.catalogue``)."""
    return catalogue.read(settings.plans_file, load_plans)

"""Estimated hours: defaults per type and severity from ``rules_file`` until there is
history, then the median of hours actually logged on finished requests of the same kind
(the client's own first, then everyone's), once there are enough of them."""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.orm import Session

from intake import catalogue, memo
from intake.errors import ConfigError
from intake.requests.models import Request, TimeEntry
from intake.requests.states import RequestType, Severity, Status
from intake.tomlfile import read_toml


@dataclass(frozen=True)
class Estimate:
    hours: Decimal
    basis: str  # how it was reached, for staff


def load_default_estimates(path: Path) -> dict[tuple[str, str], Decimal]:
    """The ``[estimate]`` table of ``rules_file``: hours per type and severity."""
    table = read_toml(path, "rules_file: ", ConfigError).get("estimate", {})
    defaults = {}
    for kind in RequestType:
        for severity in Severity:
            value = table.get(kind.value, {}).get(severity.value)
            try:
                hours = Decimal(str(value))
            except InvalidOperation:
                hours = Decimal("NaN")
            if value is None or not hours.is_finite() or hours < 0:
                raise ConfigError(
                    f'rules_file: {path}: estimate.{kind}.{severity}: expected hours such as "2"'
                )
            defaults[(kind.value, severity.value)] = hours
    return defaults


def estimate_hours(
    session: Session,
    rules_file: Path,
    client_id: int | None,
    kind: str,
    severity: str,
    min_samples: int,
) -> Estimate:
    history = memo.recall(
        session, ("logged hours", kind, severity), lambda: _logged(session, kind, severity)
    )
    own = [Decimal(h) for c, h in history if client_id is not None and c == client_id]
    if len(own) >= min_samples:
        return Estimate(_median(own), f"median of {len(own)} of this client's {severity} {kind}s")
    every = [Decimal(h) for _, h in history]
    if len(every) >= min_samples:
        return Estimate(_median(every), f"median of {len(every)} finished {severity} {kind}s")
    hours = catalogue.read(rules_file, load_default_estimates)[(kind, severity)]
    return Estimate(hours, f"default for a {severity} {kind}")


def _logged(session: Session, kind: str, severity: str) -> list[tuple[int | None, Decimal]]:
    """(client id, hours logged) of each finished request of this type and severity."""
    rows = session.execute(
        sa.select(Request.client_id, sa.func.sum(TimeEntry.hours))
        .join(TimeEntry, TimeEntry.request_id == Request.id)
        .where(
            Request.status == Status.DONE,
            Request.type == RequestType(kind),
            Request.severity == Severity(severity),
        )
        .group_by(Request.id, Request.client_id)
    )
    return [(client_id, hours) for client_id, hours in rows]


QUARTER = Decimal("0.25")


def _median(values: list[Decimal]) -> Decimal:
    # Quarter hours: estimates are promises, not measurements; never less than one, so
    # quick answers in the history never make a quote of 0 hours (free, with no approval).
    value = Decimal(statistics.median(values))
    return max(QUARTER, (value * 4).quantize(Decimal("1")) / 4)

"""What the actors of one process share: the settings, the database and the broker."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field

import dramatiq
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from intake.db import make_engine, session_factory, transaction
from intake.errors import IntakeError
from intake.settings import Settings


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    factory: sessionmaker[Session]
    broker: dramatiq.Broker
    actors: dict[str, dramatiq.Actor] = field(default_factory=dict)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        with transaction(self.factory) as session:
            yield session

    def send(self, actor: str, *args: object) -> None:
        self.actors[actor].send(*args)


_current: Runtime | None = None


def install(settings: Settings, broker: dramatiq.Broker, engine: Engine | None = None) -> Runtime:
    global _current
    engine = engine or make_engine(settings.database_url)
    _current = Runtime(settings, engine, session_factory(engine), broker)
    return _current


def current() -> Runtime:
    if _current is None:
        raise IntakeError("the workers' runtime is not set up (workers.broker.setup)")
    return _current

"""The broker: dramatiq on Redis when ``redis_url`` is set, else an in-process StubBroker;
and the table of actors every process declares the same way."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dramatiq
import redis
from dramatiq.brokers.redis import RedisBroker
from dramatiq.brokers.stub import StubBroker

from intake.errors import ServerUnreachable
from intake.settings import Settings
from workers import accounts, billing, filing, runtime, sla
from workers.middleware import LogFailures

# name -> (function, dramatiq options). Retries back off from half a second; the
# sweeper catches anything that runs out of retries. Among the jobs a worker holds, lower
# priority numbers go first: replies already written leave before more mail is filed,
# so a backlog of mail does not hold back the answers to what is filed.
ACTORS: dict[str, tuple[Callable[..., Any], dict[str, Any]]] = {
    "file_inbound": (
        filing.file_inbound,
        {
            "queue_name": "filing",
            "priority": 10,
            "max_retries": 8,
            "min_backoff": 500,
            "max_backoff": 30_000,
        },
    ),
    "send_outbound": (
        filing.send_outbound,
        # SMTP deferrals are retried by the sweeper with the outbox's own backoff.
        {"queue_name": "outbox", "max_retries": 3, "min_backoff": 1000, "max_backoff": 10_000},
    ),
    "sweep": (filing.sweep, {"queue_name": "maintenance", "max_retries": 0}),
    "check_sla": (sla.check_sla, {"queue_name": "maintenance", "max_retries": 0}),
    "bill_last_month": (billing.bill_last_month, {"queue_name": "maintenance", "max_retries": 0}),
    "look_after_accounts": (
        accounts.look_after_accounts,
        {"queue_name": "maintenance", "max_retries": 0},
    ),
}


def make_broker(settings: Settings) -> dramatiq.Broker:
    broker: dramatiq.Broker
    if settings.redis_url:
        client = redis.Redis.from_url(settings.redis_url, socket_connect_timeout=5)
        try:
            client.ping()
        except redis.RedisError as exc:
            raise ServerUnreachable(
                f"redis_url: cannot reach {settings.redis_url}: {exc}"
            ) from None
        broker = RedisBroker(client=client)
    else:
        broker = StubBroker()
        broker.emit_after("process_boot")
    broker.add_middleware(LogFailures())
    return broker


def setup(settings: Settings, **engine: Any) -> runtime.Runtime:
    """Build this process's broker and runtime and declare every actor on it."""
    broker = make_broker(settings)
    dramatiq.set_broker(broker)
    rt = runtime.install(settings, broker, **engine)
    for name, (fn, options) in ACTORS.items():
        rt.actors[name] = dramatiq.actor(actor_name=name, broker=broker, **options)(fn)
    return rt


def queues() -> set[str]:
    return {options["queue_name"] for _, options in ACTORS.values()}

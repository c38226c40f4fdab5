"""Cross-cutting concerns of every job: log context (which actor, which message)."""

from __future__ import annotations

import logging
import threading
from typing import Any

import dramatiq

_local = threading.local()


class JobContext(logging.Filter):
    """Adds ``job`` (actor name and message id) to every log record of a job's thread."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.job = getattr(_local, "job", "-")
        return True


class LogContext(dramatiq.Middleware):
    def before_process_message(self, broker: dramatiq.Broker, message: Any) -> None:
        _local.job = f"{message.actor_name}:{message.message_id[:8]}"

    def after_process_message(
        self,
        broker: dramatiq.Broker,
        message: Any,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        if exception is not None:
            logging.getLogger("workers").warning(
                "%s failed (retry %s): %s",
                message.actor_name,
                message.options.get("retries", 0),
                exception,
            )
        _local.job = "-"

    def after_skip_message(self, broker: dramatiq.Broker, message: Any) -> None:
        _local.job = "-"

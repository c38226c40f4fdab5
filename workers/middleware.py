"""Cross-cutting concerns of every job: a failed job is logged with its actor and retry."""

from __future__ import annotations

import logging
from typing import Any

import dramatiq


class LogFailures(dramatiq.Middleware):
    """A job that raised, logged once with its actor and how many times it was retried."""

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

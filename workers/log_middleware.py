"""Puts the message's request id, its task id (the message id) and the actor's name in the log context
for the run (services/log_context.py); async actors see it too, since the event-loop thread starts
their coroutines in a copy of this thread's context."""

from __future__ import annotations

from typing import Any

from dramatiq import Broker, Middleware
from dramatiq.broker import MessageProxy

from services.log_context import ACTOR, REQUEST_ID, TASK_ID

__all__ = ["LogContext"]


class LogContext(Middleware):
    def before_process_message(self, broker: Broker, message: MessageProxy) -> None:
        REQUEST_ID.set(message.options.get("request_id"))
        TASK_ID.set(message.message_id)
        ACTOR.set(message.actor_name)

    def after_process_message(
        self,
        broker: Broker,
        message: MessageProxy,
        *,
        result: Any = None,
        exception: BaseException | None = None,
    ) -> None:
        self._clear()

    def after_skip_message(self, broker: Broker, message: MessageProxy) -> None:
        self._clear()

    @staticmethod
    def _clear() -> None:
        for variable in (REQUEST_ID, TASK_ID, ACTOR):
            variable.set(None)
